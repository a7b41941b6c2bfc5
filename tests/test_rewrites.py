"""Our compile modes' rewrites: the batch-1 steps are BLAS-2 work, and no rewrite changes a number."""

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.tensor.blas import Dot22, Dot22Scalar, Gemm
from pytensor.tensor.blas_c import CGemv, CGer
from pytensor.tensor.elemwise import CAReduce

from dltutorial.core import modes
from dltutorial.core.compile import compile_function
from dltutorial.core.data import load_data
from dltutorial.core.rewrites import SumOfSquares
from dltutorial.core.steps import sgd_training_function
from dltutorial.mlp import MLP
from dltutorial.SdA import SdA

GEMM_OPS = (Dot22, Dot22Scalar, Gemm)


def op_types(fn):
    """The op classes of a compiled (Tutorial)Function's graph."""
    while not hasattr(fn, "maker"):
        fn = fn.fn
    return [type(node.op) for node in fn.maker.fgraph.apply_nodes]


def sda_steps(dataset, floatX, batch_size):
    """The SdA's first pretraining step and its finetuning step, compiled with the ``c`` mode."""
    with pytensor.config.change_flags(floatX=floatX):
        datasets = load_data(dataset)
        sda = SdA(numpy.random.RandomState(89677), n_ins=64, hidden_layers_sizes=[30, 20], n_outs=10)
        pretrain = sda.pretraining_functions(datasets[0][0], batch_size, mode="c")[0]
        finetune = sda.build_finetune_functions(datasets, batch_size, learning_rate=0.1, mode="c")[0]
    return pretrain, finetune


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_batch_one_steps_are_matrix_vector_products_and_rank_one_updates(tiny_idx, floatX):
    """At batch size 1 no product is a gemm whose operand has one row: each is a gemv or a ger."""
    pretrain, finetune = sda_steps(tiny_idx, floatX, batch_size=1)
    for fn, gemvs, gers in ((pretrain, 3, 2), (finetune, 5, 3)):  # 2 hidden layers + softmax: 3 forward, 2 back
        ops = op_types(fn)
        assert not [op for op in ops if issubclass(op, GEMM_OPS)]
        assert ops.count(CGemv) == gemvs and ops.count(CGer) == gers


def test_larger_batches_keep_their_matrix_products(tiny_idx):
    pretrain, _ = sda_steps(tiny_idx, "float64", batch_size=5)
    ops = op_types(pretrain)
    assert any(issubclass(op, GEMM_OPS) for op in ops) and CGer not in ops


@pytest.mark.parametrize("floatX, rtol", [("float32", 2e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("batch_size", [1, 5])
def test_rewritten_steps_give_the_unrewritten_numbers(tiny_idx, monkeypatch, floatX, rtol, batch_size):
    def costs():
        pretrain, finetune = sda_steps(tiny_idx, floatX, batch_size)
        return ([float(pretrain(i, corruption=0.3, lr=0.1)) for i in range(20)]
                + [float(finetune(i)) for i in range(20)])

    rewritten = costs()
    monkeypatch.setitem(modes.REWRITE_TAGS, "c", ("dltutorial_random",))  # without our shape and C rewrites
    numpy.testing.assert_allclose(rewritten, costs(), rtol=rtol)


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_sum_of_squares_is_the_float64_sum(floatX):
    with pytensor.config.change_flags(floatX=floatX):
        m = pt.matrix("m")
        fn = compile_function([m], [(m ** 2).sum(), (m.T ** 2).sum()], mode="c")
    assert SumOfSquares in op_types(fn)
    values = numpy.random.RandomState(0).normal(size=(301, 77)).astype(floatX)
    expected = numpy.sum(values.astype("float64") ** 2)
    for result in fn(values) + fn(numpy.asfortranarray(values)):
        assert result.dtype == floatX
        numpy.testing.assert_allclose(result, expected, rtol=1e-15 if floatX == "float64" else 1e-7)


def test_the_mlp_penalty_is_one_vectorised_sum_per_matrix(tiny_idx):
    with pytensor.config.change_flags(floatX="float32"):
        datasets = load_data(tiny_idx)
        index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
        model = MLP(numpy.random.RandomState(1234), x, 64, 20, 10)
        cost = model.negative_log_likelihood(y) + 1e-4 * model.L2_sqr
        train = sgd_training_function(index, 20, x, y, cost, model.params, 0.01, datasets[0], mode="c")
    graph = train.fn.maker.fgraph
    assert sum(isinstance(node.op, SumOfSquares) for node in graph.apply_nodes) == 2
    assert not any(isinstance(node.op, CAReduce) and node.inputs[0] in (model.hiddenLayer.W, model.logRegressionLayer.W)
                   for node in graph.apply_nodes)


def test_the_c_backend_calls_the_blas_that_pip_installed():
    """A compiled matrix-vector product loads scipy-openblas32's library (PyTensor alone would find no BLAS)."""
    import os

    import scipy_openblas32
    import threadpoolctl

    w = pytensor.shared(numpy.arange(12.0).reshape(3, 4))
    x = pt.dvector("x")
    fn = compile_function([x], pt.dot(w, x), mode="c")
    assert CGemv in op_types(fn)
    numpy.testing.assert_allclose(fn(numpy.ones(4)), [6.0, 22.0, 38.0])
    folders = {os.path.realpath(os.path.dirname(lib["filepath"])) for lib in threadpoolctl.threadpool_info()
               if lib["user_api"] == "blas"}
    assert os.path.realpath(scipy_openblas32.get_lib_dir()) in folders


def test_affine_terms_find_a_theano_minibatchs_constant_length():
    """What lets JAX take a Theano-style ``x[i * n:(i + 1) * n]``: its length is the constant n, seen symbolically."""
    from dltutorial.core.rewrites import _combine, affine_terms

    i, j = pt.lscalar("i"), pt.lscalar("j")
    start, stop = affine_terms(i * 10), affine_terms((i + 1) * 10)
    assert start == {i: 10, None: 0} and _combine([stop, start], [1, -1]) == {None: 10}
    assert affine_terms(3 - (2 * j - i)) == {None: 3, j: -2, i: 1}
    assert affine_terms(i * j) is None and affine_terms(pt.sqrt(i)) is None  # not affine: left as a slice
    assert _combine([affine_terms(2 * i), affine_terms(i)], [1, -1]) == {i: 1, None: 0}  # x[i:2*i]: not constant
