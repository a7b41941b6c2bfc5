"""Our compile modes' rewrites: the batch-1 steps are BLAS-2 work, and no rewrite changes a number."""

import numpy
import pytensor
import pytensor.scalar as ps
import pytensor.tensor as pt
import pytest
import threadpoolctl
from pytensor.scan.op import Scan
from pytensor.tensor.blas import Dot22, Dot22Scalar, Gemm
from pytensor.tensor.blas_c import CGemv, CGer
from pytensor.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from pytensor.tensor.math import Sum

from dltutorial.convolutional_mlp import LeNet5
from dltutorial.core.compile import compile_function, pytensor_function
from dltutorial.core.data import load_data
from dltutorial.core.minibatches import minibatch_givens
from dltutorial.engine.patches import Patches, PatchesAdjoint
from dltutorial.core.steps import sgd_training_function
from dltutorial.engine import registry
from dltutorial.engine.blas2 import RankOneUpdate, RowGemv
from dltutorial.engine.rewrites import VECTOR_MATH_OPS
from dltutorial.engine.sums import AdjacentAxesSum, SumOfSquares
from dltutorial.mlp import MLP
from dltutorial.rbm import RBM
from dltutorial.SdA import SdA

from .bounds import assert_within, function_error, gamma, product_error, sum_error, trajectory_rtol, unit_roundoff

GEMM_OPS = (Dot22, Dot22Scalar, Gemm)


def compiled_nodes(fn):
    """The apply nodes of a compiled (Tutorial)Function's graph."""
    return pytensor_function(fn).maker.fgraph.apply_nodes


def op_types(fn):
    """The op classes of a compiled (Tutorial)Function's graph."""
    return [type(node.op) for node in compiled_nodes(fn)]


def sda_steps(dataset, floatX, batch_size, mode="c"):
    """The SdA's first pretraining step and its finetuning step, compiled with ``mode``."""
    with pytensor.config.change_flags(floatX=floatX):
        datasets = load_data(dataset)
        sda = SdA(numpy.random.RandomState(89677), n_ins=64, hidden_layers_sizes=[30, 20], n_outs=10)
        pretrain = sda.pretraining_functions(datasets[0][0], batch_size, mode=mode)[0]
        finetune = sda.build_finetune_functions(datasets, batch_size, learning_rate=0.1, mode=mode)[0]
    return pretrain, finetune


def row_ops(fn):
    """The row-wise BLAS-2 nodes of a compiled function, as sorted ``(op class name, its product or transposed)``."""
    return sorted((type(node.op).__name__, str(getattr(node.op, "product", getattr(node.op, "transposed", None))))
                  for node in compiled_nodes(fn) if isinstance(node.op, (RowGemv, RankOneUpdate)))


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_batch_one_steps_are_matrix_vector_products_and_rank_one_updates(tiny_idx, floatX):
    """At batch size 1 no product is a gemm whose operand has one row: each is a gemv or a rank-1 update, row by row,
    and each backward product is computed in the pass that updates its weights."""
    pretrain, finetune = sda_steps(tiny_idx, floatX, batch_size=1)
    for fn in (pretrain, finetune):
        ops = op_types(fn)
        assert not [op for op in ops if issubclass(op, GEMM_OPS)] and CGemv not in ops and CGer not in ops
    # the dA: x~ @ W and W @ y forward; the update of the decoder's term carries z's gradient @ W back; x~'s term
    assert row_ops(pretrain) == [("RankOneUpdate", "None"), ("RankOneUpdate", "xW"),
                                 ("RowGemv", "False"), ("RowGemv", "True")]
    # 2 hidden layers + softmax: 3 forward products; the top two updates carry the gradient back, the first needs none
    assert row_ops(finetune) == [("RankOneUpdate", "None"), ("RankOneUpdate", "Wy"), ("RankOneUpdate", "Wy"),
                                 ("RowGemv", "True"), ("RowGemv", "True"), ("RowGemv", "True")]


def test_larger_batches_keep_their_matrix_products(tiny_idx):
    pretrain, _ = sda_steps(tiny_idx, "float64", batch_size=5)
    ops = op_types(pretrain)
    assert any(issubclass(op, GEMM_OPS) for op in ops) and CGer not in ops and RankOneUpdate not in ops


@pytest.mark.parametrize("floatX", ["float32", "float64"])
@pytest.mark.parametrize("batch_size", [1, 5])
def test_rewritten_steps_give_the_unrewritten_numbers(tiny_idx, monkeypatch, floatX, batch_size):
    rtol = trajectory_rtol(20, (batch_size, 64, 30, 20, 10), floatX)  # the finetuning's chain is the longer one

    def costs():
        pretrain, finetune = sda_steps(tiny_idx, floatX, batch_size)
        return ([float(pretrain(i, corruption=0.3, lr=0.1)) for i in range(20)]
                + [float(finetune(i)) for i in range(20)])

    rewritten = costs()
    monkeypatch.setitem(registry.TAGS, "c", ("dltutorial_random",))  # without our shape and C rewrites
    numpy.testing.assert_allclose(rewritten, costs(), rtol=rtol)


def test_the_rewritten_rbm_step_gives_the_unrewritten_numbers(tiny_idx, monkeypatch):
    """The PCD step, whose samples lose their sigmoid to a loop of its own: the same costs and weights (float64)."""
    def train():
        with pytensor.config.change_flags(floatX="float64"):
            train_x = load_data(tiny_idx)[0][0]
            index, x = pt.lscalar("index"), pt.matrix("x")
            chain = pytensor.shared(numpy.zeros((10, 30)))
            rbm = RBM(input=x, n_visible=64, n_hidden=30, numpy_rng=numpy.random.RandomState(123))
            cost, updates = rbm.get_cost_updates(lr=0.1, persistent=chain, k=3, mode="c")
            step = compile_function([index], cost, updates=updates,
                                    givens=minibatch_givens(index, 10, (x, train_x)), mode="c")
            numbers = [float(step(i)) for i in range(10)] + list(rbm.W.get_value().ravel())
        (gibbs_chain,) = [node.op for node in compiled_nodes(step) if isinstance(node.op, Scan)]
        loops = [node.op.scalar_op for node in compiled_nodes(gibbs_chain.fn) if isinstance(node.op, Elemwise)]
        return numbers, sum(isinstance(op, VECTOR_MATH_OPS) for op in loops)

    rewritten, sigmoid_loops = train()
    assert sigmoid_loops == 2  # the hidden and the visible units' samples
    monkeypatch.setitem(registry.TAGS, "c", ("dltutorial_random",))  # without our shape and C rewrites
    unrewritten, sigmoid_loops = train()
    assert sigmoid_loops == 0
    # ten steps of a 3-step Gibbs chain and its gradient; the weights' scale stands in for entries near zero.  (A
    # sample flips only where a uniform draw lies within a few ulp of its sigmoid: chance below 1e-12 here.)
    rtol = trajectory_rtol(10 * 4, (10, 64, 30), "float64")
    scale = numpy.abs(unrewritten).max()
    assert_within(rewritten, unrewritten, rtol * (numpy.abs(unrewritten) + scale), "costs and weights")


def row_blas_cases(floatX):
    """A 400x300 W (large enough for the rows to be shared among threads) in C and Fortran order, an input with zeros."""
    rng = numpy.random.RandomState(3)
    W = rng.normal(size=(400, 300)).astype(floatX)
    x = (rng.normal(size=400) * (rng.rand(400) < 0.2)).astype(floatX)
    y = rng.normal(size=300).astype(floatX)
    return [(W, x, y), (numpy.asfortranarray(W), x, y), (W[:, ::-1], x[::-1], y[::-1])]


def row_ops_graph(floatX):
    """Every product and update of the row-by-row ops over symbolic ``W, x, y, bias``: ``(inputs, outputs, alpha,
    beta)``; the third output's beta is 0."""
    W, x, y, bias = pt.matrix("W", dtype=floatX), *(pt.vector(name, dtype=floatX) for name in ("x", "y", "bias"))
    alpha, beta = numpy.asarray(-0.5, floatX), numpy.asarray(2.0, floatX)
    outputs = [RowGemv(True)(bias, alpha, W, x, beta), RowGemv(False)(bias[:1].repeat(400), alpha, W, y, beta),
               RowGemv(True)(bias, alpha, W, x, numpy.asarray(0.0, floatX)),
               RankOneUpdate()(W, alpha, x, y), *RankOneUpdate(product="xW")(W, alpha, x, y, beta),
               *RankOneUpdate(product="Wy")(W, alpha, x, y, beta)]
    return [W, x, y, bias], outputs, alpha, beta


def row_ops_errors(w, xs, ys, b, alpha, beta, floatX):
    """The error bound of each output of :func:`row_ops_graph` computed in floatX: a product's (gamma_k |x| |W|)
    and two roundings for the scalings and the sum."""
    xw = product_error(xs, w, floatX) + gamma(2, floatX) * abs(xs) @ abs(w)
    wy = product_error(w, ys, floatX) + gamma(2, floatX) * abs(w) @ abs(ys)
    update = gamma(2, floatX) * (abs(w) + abs(alpha) * numpy.outer(abs(xs), abs(ys)))
    return [abs(alpha) * xw + gamma(2, floatX) * abs(beta * b), abs(alpha) * wy + gamma(2, floatX) * abs(beta * b[0]),
            abs(alpha) * xw, update, update, abs(beta) * xw, update, abs(beta) * wy]


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_row_by_row_ops_compute_what_blas_does(floatX):
    """Every product and update, in place or not, over C-ordered, Fortran-ordered and reversed matrices."""
    inputs, outputs, alpha, beta = row_ops_graph(floatX)
    fn = compile_function(inputs, outputs, mode="c")
    for w, xs, ys in row_blas_cases(floatX):
        b = ys[::-1].copy()
        updated = w + alpha * numpy.outer(xs, ys)
        expected = [beta * b + alpha * (xs @ w), beta * b[0] + alpha * (w @ ys), alpha * (xs @ w),
                    updated, updated, beta * (xs @ w), updated, beta * (w @ ys)]
        errors = row_ops_errors(w, xs, ys, b, alpha, beta, floatX)
        kept = w.copy()
        for got, want, error in zip(fn(w, xs, ys, b), expected, errors):
            assert_within(got, want, 2 * error)
        numpy.testing.assert_array_equal(w, kept)  # inputs are not updated in place


@pytest.mark.parametrize("mode", ["c", "numba"])
def test_an_in_place_update_writes_into_its_shared_weights_and_rows_with_a_zero_input_stay(mode):
    rng = numpy.random.RandomState(4)
    start = rng.normal(size=(400, 300))
    W = pytensor.shared(start.copy())
    x, y = pt.dvector("x"), pt.dvector("y")
    step = compile_function([x, y], [], updates=[(W, W - 0.1 * pt.outer(x, y))], mode=mode)
    assert RankOneUpdate in op_types(step)
    xs = numpy.where(numpy.arange(400) % 3 == 0, rng.normal(size=400), 0.0)
    ys = rng.normal(size=300)
    storage = W.get_value(borrow=True)
    step(xs, ys)
    assert W.get_value(borrow=True) is storage  # updated where it lies
    # one product and one difference per entry, on each side
    assert_within(storage, start - 0.1 * numpy.outer(xs, ys),
                  2 * gamma(2, "float64") * (abs(start) + 0.1 * numpy.outer(abs(xs), abs(ys))))
    numpy.testing.assert_array_equal(storage[xs == 0], start[xs == 0])


def test_batch_one_finetuning_shared_among_threads_gives_the_same_numbers_twice(tiny_idx):
    """Two threads each add half of a layer's rows into a vector: the halves are added in the same order every time,
    so that a run, or a resumed one, gives the same numbers.  (OpenMP's own ``reduction`` did not: two runs parted
    within a few steps.)"""
    def finetune():
        with pytensor.config.change_flags(floatX="float32"):
            datasets = load_data(tiny_idx)
            sda = SdA(numpy.random.RandomState(89677), n_ins=64, hidden_layers_sizes=[400, 400], n_outs=10)
            step = sda.build_finetune_functions(datasets, 1, learning_rate=0.1, mode="c")[0]
            return [float(step(i)) for i in range(60)], sda.params[0].get_value()

    with threadpoolctl.threadpool_limits(2, user_api="openmp"):
        (costs, weights), (again, weights_again) = finetune(), finetune()
    assert costs == again
    numpy.testing.assert_array_equal(weights, weights_again)


def test_a_row_by_row_op_given_mismatched_shapes_or_types_says_so_in_one_line():
    W, x = pt.dmatrix("W"), pt.dvector("x")
    fn = compile_function([W, x], RowGemv(True)(pt.zeros(W.shape[1]), numpy.float64(1), W, x, numpy.float64(0)),
                          mode="c")
    with pytest.raises(ValueError, match=r"a 3x4 matrix with a vector of 5 entries \(for its axis 0\)"):
        fn(numpy.ones((3, 4)), numpy.ones(5))
    with pytest.raises(TypeError, match=r"one type, not \['float32', 'float64'\]"):
        RankOneUpdate()(W, numpy.float32(1), x, x)
    with pytest.raises(TypeError, match=r"takes 5 inputs, not 4"):
        RankOneUpdate(product="xW")(W, numpy.float64(1), x, x)


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_sum_of_squares_is_the_float64_sum(floatX):
    with pytensor.config.change_flags(floatX=floatX):
        m = pt.matrix("m")
        fn = compile_function([m], [(m ** 2).sum(), (m.T ** 2).sum()], mode="c")
    assert SumOfSquares in op_types(fn)
    values = numpy.random.RandomState(0).normal(size=(301, 77)).astype(floatX)
    squares = values.astype("float64") ** 2
    expected = numpy.sum(squares)
    # both sums add 23,177 positive float64 terms in their own order; each square rounds once (exact from
    # float32); the result is then rounded to floatX
    error = 2 * (sum_error(squares, "float64") + gamma(1, "float64") * expected) + unit_roundoff(floatX) * expected
    for result in fn(values) + fn(numpy.asfortranarray(values)):
        assert result.dtype == floatX
        assert_within(result, expected, error, "sum of squares")


def test_the_mlp_penalty_is_one_vectorised_sum_per_matrix(tiny_idx):
    with pytensor.config.change_flags(floatX="float32"):
        datasets = load_data(tiny_idx)
        index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
        model = MLP(numpy.random.RandomState(1234), x, 64, 20, 10)
        cost = model.negative_log_likelihood(y) + 1e-4 * model.L2_sqr
        train = sgd_training_function(index, 20, x, y, cost, model.params, 0.01, datasets[0], mode="c")
    nodes = compiled_nodes(train)
    assert sum(isinstance(node.op, SumOfSquares) for node in nodes) == 2
    assert not any(isinstance(node.op, CAReduce) and node.inputs[0] in (model.hiddenLayer.W, model.logRegressionLayer.W)
                   for node in nodes)


def is_transpose(variable):
    """Whether ``variable`` is a view of another tensor with its axes out of memory order."""
    if variable.owner is None or not isinstance(variable.owner.op, DimShuffle):
        return False
    kept = [axis for axis in variable.owner.op.new_order if axis != "x"]
    return kept != sorted(kept)


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_elementwise_ops_over_transposes_run_in_memory_order(floatX):
    """A bias and tanh over batch-last maps seen batch-first run over the maps as they lie; a product with an
    array in the other order is left alone (one of its inputs is strided either way)."""
    with pytensor.config.change_flags(floatX=floatX):
        maps, b, other = pt.tensor4("maps"), pt.vector("b"), pt.tensor4("other")
        seen = maps.dimshuffle(3, 0, 1, 2)
        activation = pt.tanh(seen + b.dimshuffle("x", 0, "x", "x"))
        fn = compile_function([maps, b, other], [activation, seen * other], mode="c")
    over_transposes = [node for node in compiled_nodes(fn)
                       if isinstance(node.op, Elemwise) and any(map(is_transpose, node.inputs))]
    assert len(over_transposes) == 1 and isinstance(over_transposes[0].op.scalar_op, ps.Mul)
    rng = numpy.random.RandomState(0)
    values = [rng.normal(size=shape).astype(floatX) for shape in ((3, 4, 5, 6), (3,), (6, 3, 4, 5))]
    seen_value = values[0].transpose(3, 0, 1, 2)
    got_activation, got_product = fn(*values)
    pre_activation = seen_value + values[1][:, None, None]
    activation = numpy.tanh(pre_activation)
    # the sum rounds once each side (tanh' <= 1 carries it on), then two implementations of tanh
    assert_within(got_activation, activation,
                  function_error(activation, floatX) + 2 * unit_roundoff(floatX) * abs(pre_activation))
    numpy.testing.assert_array_equal(got_product, seen_value * values[2])  # a product is correctly rounded


SUMS = {  # (axes summed, of x or of its batch-last view (3, 0, 1, 2)): adjacent in memory?
    "leading axis": (lambda x: x.sum(axis=0), True),
    "trailing axes": (lambda x: x.sum(axis=(1, 2, 3)), True),
    "inner axes": (lambda x: x.sum(axis=(1, 2)), True),
    "every axis": (lambda x: x.sum(), True),
    "axes apart": (lambda x: x.sum(axis=(0, 2)), False),
    "a view's bias gradient": (lambda x: x.dimshuffle(3, 0, 1, 2).sum(axis=(0, 2, 3)), True),
    "a view's axes apart in memory": (lambda x: x.dimshuffle(3, 0, 1, 2).sum(axis=(0, 1)), False),
}


@pytest.mark.parametrize("floatX", ["float32", "float64"])
@pytest.mark.parametrize("case", SUMS)
def test_sums_over_adjacent_axes_are_numpys_float64_sums(floatX, case):
    """Whatever the layout the input comes in (C order, Fortran order, strided, empty)."""
    summed, adjacent = SUMS[case]
    with pytensor.config.change_flags(floatX=floatX):
        x = pt.tensor4("x")
        fn = compile_function([x], summed(x), mode="c")
    ops = op_types(fn)
    assert (AdjacentAxesSum in ops, Sum in ops) == (adjacent, not adjacent)
    values = numpy.random.RandomState(0).normal(size=(5, 6, 7, 8)).astype(floatX)
    exact_sums = pytensor.function([x], [summed(x.astype("float64")), summed(abs(x.astype("float64")))],
                                   mode="FAST_COMPILE")
    for layout in (values, numpy.asfortranarray(values), values[:, :, ::2], values[:0]):
        expected, abs_sums = exact_sums(layout)
        got = fn(layout)
        assert got.dtype == floatX and got.shape == expected.shape
        # both accumulate at most 1,680 terms in float64, in their own orders; then one rounding to floatX
        error = 2 * gamma(values.size, "float64") * abs_sums + numpy.finfo(floatX).eps * abs(expected)
        assert_within(got, expected, error, case)


def test_lenet_keeps_its_maps_batch_last_and_gets_the_unrewritten_gradients(monkeypatch):
    """The first layer's bias and tanh run batch-last, the second convolution takes them without a copy, the bias
    gradients are vectorised sums; the gradients are those of the graph without our rewrites (float64)."""
    def gradients():
        with pytensor.config.change_flags(floatX="float64"):
            x, y = pt.matrix("x"), pt.ivector("y")
            net = LeNet5(numpy.random.RandomState(23455), x, batch_size=4, image_side=16, nkerns=(3, 5),
                         filter_side=3, n_hidden=8)
            fn = compile_function([x, y], pytensor.grad(net.negative_log_likelihood(y), net.params), mode="c")
        rng = numpy.random.RandomState(1)
        return fn(rng.uniform(size=(4, 256)), rng.randint(0, 10, size=4).astype("int32")), compiled_nodes(fn)

    rewritten, nodes = gradients()
    second_patches = [node for node in nodes if isinstance(node.op, (Patches, PatchesAdjoint))
                      and node.inputs[0].type.shape[1] == 3]
    assert len(second_patches) == 2  # one patch matrix for the product and the filters' gradient, one adjoint
    for node in second_patches:
        view = node.inputs[0].owner
        assert isinstance(view.op, DimShuffle) and view.op.new_order == (3, 0, 1, 2)
        assert isinstance(view.inputs[0].owner.op, Elemwise)
    assert sum(isinstance(node.op, AdjacentAxesSum) for node in nodes) >= 2  # both layers' bias gradients
    monkeypatch.setitem(registry.TAGS, "c", ("dltutorial_random",))  # without our shape and C rewrites
    unrewritten, _ = gradients()
    # the longest chain: the first filters' gradient adds 4 images x 14 x 14 positions, after the forward and back
    # passes' products (9, 27, 20, 8 and 10 terms); relative to each gradient's largest entry
    rtol = gamma(4 * 14 * 14 + 2 * (9 + 27 + 20 + 8 + 10) + 4 * 5, "float64")
    for got, expected in zip(rewritten, unrewritten):
        assert_within(got, expected, rtol * (abs(expected) + abs(expected).max()), "gradient")


def test_vector_maths_leave_fused_loops_whatever_their_place_and_the_values_stay():
    """Two samples of the same shape (an RBM's hidden then visible units) fuse into two loops with one shared
    scalar graph; each loses its sigmoid to a loop of its own, and every value is numpy's."""
    u1, u2, a, W = pt.dmatrix("u1"), pt.dmatrix("u2"), pt.dmatrix("a"), pt.dmatrix("W")
    b, c = pt.dvector("b"), pt.dvector("c")
    h = pt.cast(pt.lt(u1, pt.sigmoid(a @ W + b)), "float64")
    v = pt.cast(pt.lt(u2, pt.sigmoid(h @ W.T + c)), "float64")
    shifted = pt.exp(a) * u2 + pt.log1p(pt.abs(a))  # two vector maths in one loop
    fn = compile_function([u1, u2, a, W, b, c], [v, shifted], mode="c")
    loops = [node.op.scalar_op for node in compiled_nodes(fn) if isinstance(node.op, Elemwise)]
    vector_maths = [op for op in loops if isinstance(op, VECTOR_MATH_OPS)]
    assert len(vector_maths) == 4
    for op in loops:
        if isinstance(op, ps.Composite):
            assert not any(isinstance(node.op, VECTOR_MATH_OPS) for node in op.fgraph.apply_nodes)
    r = numpy.random.RandomState(0)
    U1, U2, A, Wv = r.rand(20, 50), r.rand(20, 30), r.normal(size=(20, 30)), r.normal(size=(30, 50))
    B, C = r.normal(size=50), r.normal(size=30)
    H = (U1 < 1 / (1 + numpy.exp(-(A @ Wv + B)))).astype(float)
    V = (U2 < 1 / (1 + numpy.exp(-(H @ Wv.T + C)))).astype(float)
    got_v, got_shifted = fn(U1, U2, A, Wv, B, C)
    numpy.testing.assert_array_equal(got_v, V)  # a sample flips only for a draw within ulps of its sigmoid: < 1e-12
    shifted = numpy.exp(A) * U2 + numpy.log1p(abs(A))  # two functions, a product and a sum of positive terms
    assert_within(got_shifted, shifted, function_error(shifted, "float64") + 2 * gamma(2, "float64") * shifted)


def test_the_c_backend_calls_the_blas_that_pip_installed():
    """A compiled matrix product loads scipy-openblas32's library (PyTensor alone would find no BLAS)."""
    import os

    import scipy_openblas32
    import threadpoolctl

    w = pytensor.shared(numpy.arange(12.0).reshape(3, 4))
    x = pt.dmatrix("x")
    fn = compile_function([x], pt.dot(w, x), mode="c")
    assert any(issubclass(op, GEMM_OPS) for op in op_types(fn))
    numpy.testing.assert_allclose(fn(numpy.ones((4, 2))), [[6.0] * 2, [22.0] * 2, [38.0] * 2])
    folders = {os.path.realpath(os.path.dirname(lib["filepath"])) for lib in threadpoolctl.threadpool_info()
               if lib["user_api"] == "blas"}
    assert os.path.realpath(scipy_openblas32.get_lib_dir()) in folders


def test_affine_terms_find_a_theano_minibatchs_constant_length():
    """What lets JAX take a Theano-style ``x[i * n:(i + 1) * n]``: its length is the constant n, seen symbolically."""
    from dltutorial.engine.rewrites import _combine, affine_terms

    i, j = pt.lscalar("i"), pt.lscalar("j")
    start, stop = affine_terms(i * 10), affine_terms((i + 1) * 10)
    assert start == {i: 10, None: 0} and _combine([stop, start], [1, -1]) == {None: 10}
    assert affine_terms(3 - (2 * j - i)) == {None: 3, j: -2, i: 1}
    assert affine_terms(i * j) is None and affine_terms(pt.sqrt(i)) is None  # not affine: left as a slice
    assert _combine([affine_terms(2 * i), affine_terms(i)], [1, -1]) == {i: 1, None: 0}  # x[i:2*i]: not constant
