"""The compile modes: their errors, their one graph for every backend, and what they do beyond PyTensor's defaults.

That every mode gives every tutorial's costs is tests/test_agreement.py's job.
"""

import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from dltutorial.core.compile import TutorialFunction, compile_function
from dltutorial.core.data import load_data
from dltutorial.core.minibatches import minibatch_givens
from dltutorial.core.modes import ModeError, available_modes, check_float_type, check_mode

from .bounds import assert_within, function_error, gamma, unit_roundoff

needs_jax = pytest.mark.skipif("jax" not in available_modes(), reason="JAX is not installed (pip install -e .[jax])")
# make test compiles one tiny graph in numba and one in jax (a broken backend install shows); the rest is the matrix


def test_unknown_mode_is_a_one_line_error():
    with pytest.raises(ModeError, match="unknown mode 'gpu': choose one of c, numba, jax"):
        check_mode("gpu")
    with pytest.raises(ModeError, match="unknown floatX 'float16': choose float32 or float64"):
        check_float_type("float16")


@pytest.mark.parametrize("mode", available_modes())
def test_one_graph_compiles_in_every_mode(mode, tiny_idx):
    """The mode is an argument of the compilation, not of graph building: one minibatch graph serves all.

    JAX cannot trace a slice with a symbolic start; our jax mode takes the
    minibatch by an index vector instead, and the values are the same.
    """
    with pytensor.config.change_flags(floatX="float64"):
        (train_x, _), _, _ = load_data(tiny_idx)
        index, x = pt.lscalar("index"), pt.matrix("x")
        givens = minibatch_givens(index, 20, (x, train_x))
    totals = compile_function([index], (x ** 2).sum(axis=1), givens=givens, mode=mode)
    squares = numpy.asarray(train_x.get_value())[40:60] ** 2
    expected = squares.sum(axis=1)
    # each row: 64 squares (one rounding each) added in any order, on each side
    assert_within(totals(2), expected, 2 * gamma(squares.shape[1], "float64") * expected, "sums of squares")


@needs_jax
@pytest.mark.backends
def test_a_graph_jax_cannot_trace_is_a_one_line_error():
    """A slice of symbolic length compiles, but JAX cannot trace it at the first call."""
    with pytensor.config.change_flags(floatX="float64"):
        i = pt.lscalar("i")
        fn = compile_function([i], pytensor.shared(numpy.arange(20.0))[i:2 * i].sum(), mode="jax")
        with pytest.raises(ModeError, match=r"^the jax backend cannot trace this graph \(Slice entries .*\); "
                                            r"use --mode c or --mode numba$"):
            fn(3)
        with pytest.raises(TypeError, match="missing argument 'i'"):
            fn()  # our own argument errors stay as they are


def test_the_same_graph_runs_in_numba():
    """The error's advice holds: numba slices with a symbolic start."""
    with pytensor.config.change_flags(floatX="float64"):
        i = pt.lscalar("i")
        assert compile_function([i], pytensor.shared(numpy.arange(20.0))[i:2 * i].sum(), mode="numba")(3) == 12.0


@needs_jax
def test_jax_sums_of_float32_stay_float32():
    """PyTensor accumulates float32 sums in float64; under JAX the result must come back float32."""
    with pytensor.config.change_flags(floatX="float32"):
        m = pt.matrix("m")
        total, rows = compile_function([m], [m.sum(), m.sum(axis=0)], mode="jax")(numpy.ones((3, 2), dtype="float32"))
    assert total.dtype == rows.dtype == numpy.float32 and total == 6


def test_defaults_positional_and_keyword_arguments():
    a, b = pt.dscalar("a"), pt.dscalar("b")
    fn = compile_function([a, b], a - b, defaults={"b": 1.0})
    assert isinstance(fn, TutorialFunction)
    assert fn(5) == 4 and fn(5, 2) == 3 and fn(a=5, b=3) == 2 and fn(5, b=0.5) == 4.5
    with pytest.raises(TypeError, match="missing argument 'a'"):
        fn(b=2)
    with pytest.raises(TypeError, match="unexpected arguments: c"):
        fn(1, c=2)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        fn(1, 2, 3)


@pytest.mark.parametrize("fn", [pt.tanh, pt.sigmoid, pt.exp])
def test_c_mode_runs_an_activation_in_its_own_vectorisable_loop(fn):
    """``f(x + b)`` compiles to an add loop and a separate one-input ``f`` loop (libmvec), same values."""
    from pytensor.scalar import Composite

    x, b = pt.matrix("x"), pt.vector("b")
    compiled = compile_function([x, b], fn(x + b), mode="c")
    last = compiled.fn.maker.fgraph.outputs[0].owner
    assert not isinstance(last.op.scalar_op, Composite) and len(last.inputs) == 1
    xs, bs = numpy.random.RandomState(0).randn(3, 4), numpy.random.RandomState(1).randn(4)
    expected = fn(x + b).eval({x: xs, b: bs})
    # two implementations of the function (libmvec's and PyTensor's default backend's), after a sum that rounds
    # once each side: |f'| <= max(1, |f|) for tanh, sigmoid and exp
    assert_within(compiled(xs, bs), expected,
                  function_error(expected, "float64") + 2 * unit_roundoff("float64") * abs(xs + bs) * numpy.maximum(
                      1, abs(expected)))


def test_c_mode_runs_softmax_as_compiled_elementwise_ops(float64):
    from pytensor.tensor.special import LogSoftmax, Softmax

    from dltutorial.logistic_sgd import LogisticRegression

    x, y = pt.matrix("x"), pt.ivector("y")
    model = LogisticRegression(x, 4, 3)
    model.W.set_value(numpy.random.RandomState(0).randn(4, 3))
    fn = compile_function([x, y], model.negative_log_likelihood(y), mode="c")
    ops = {type(node.op) for node in fn.fn.maker.fgraph.apply_nodes}
    assert not ops & {Softmax, LogSoftmax}
    xs, ys = numpy.random.RandomState(1).rand(5, 4), numpy.array([0, 1, 2, 1, 0], dtype="int32")
    logits = xs @ model.W.get_value()
    log_normaliser = numpy.log(numpy.exp(logits).sum(axis=1))
    expected = -numpy.mean(logits[numpy.arange(5), ys] - log_normaliser)
    # a chain of a 4-term product, exp and log (5 ulp each), a 3-term sum and a 5-term mean, on each side, relative
    # to the size of the terms that cancel
    scale = (abs(xs) @ abs(model.W.get_value())).max() + abs(log_normaliser).max()
    assert_within(fn(xs, ys), expected, 2 * gamma(4 + 2 * 5 + 3 + 5, "float64") * scale, "cost")


@needs_jax
@pytest.mark.backends
def test_jax_functions_copy_the_data_set_to_the_device_once_and_leave_the_users_array(tiny_idx):
    """Calls share one device copy of the data set; the shared variable holds the user's numpy array throughout;
    a value set anew is copied anew."""
    import jax

    with pytensor.config.change_flags(floatX="float64"):
        (train_x, train_y), _, _ = load_data(tiny_idx)
        users = train_x.get_value(borrow=True)
        index, x = pt.lscalar("index"), pt.matrix("x")
        total = compile_function([index], x.sum(), givens=minibatch_givens(index, 20, (x, train_x)), mode="jax")
        first = total(1)
        copy = total.on_device[0][1]
        assert isinstance(copy, jax.Array) and train_x.get_value(borrow=True) is users
        assert total(1) == first and total.on_device[0][1] is copy
        assert first == pytest.approx(users[20:40].sum())
        train_x.set_value(users * 2)
        assert total(1) == pytest.approx(2 * first) and total.on_device[0][1] is not copy


@needs_jax
@pytest.mark.backends
def test_jax_keeps_64_bit_types_when_the_first_graph_is_float32():
    """PyTensor's JAX dispatch turns 64-bit types off when first imported under floatX=float32.

    A fresh interpreter, so that the import happens inside this test: a
    float32 graph leaves JAX's 64-bit types off (a setting of the whole
    process); one holding a float64 value turns them on, and it stays float64.
    """
    import subprocess
    import sys

    program = (
        "import numpy, pytensor, pytensor.tensor as pt\n"
        "from dltutorial.core.compile import compile_function\n"
        "with pytensor.config.change_flags(floatX='float32'):\n"
        "    v = pt.vector('v')\n"
        "    compile_function([v], v + 1, mode='jax')(numpy.ones(2, 'float32'))\n"
        "    import jax; print(jax.config.jax_enable_x64)\n"
        "    out = compile_function([v], v.astype('float64') + 1e-12, mode='jax')(numpy.ones(2, 'float32'))\n"
        "print(out.dtype, repr(float(out[0] - 1)))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    x64_after_float32, dtype, difference = result.stdout.split()
    assert x64_after_float32 == "False" and dtype == "float64"
    assert float(difference) == pytest.approx(1e-12, rel=1e-3)


@needs_jax
@pytest.mark.backends
def test_our_jax_rewrites_leave_pytensors_own_jax_mode_alone(float64):
    """After our jax mode has compiled, a user's own mode="JAX" function keeps its binomial draw (our rewrite of a
    one-trial binomial into a uniform below p is for our modes only: it draws other numbers)."""
    from pytensor.tensor.random.basic import BinomialRV

    x = pt.dvector("x")
    compile_function([x], pt.exp(x), mode="jax")(numpy.zeros(2))  # our jax mode and its rewrites, registered
    rng = pytensor.shared(numpy.random.default_rng(3))
    draw = pt.random.binomial(1, 0.3, size=(5,), rng=rng)
    theirs = pytensor.function([], draw, mode="JAX")
    assert any(isinstance(node.op, BinomialRV) for node in theirs.maker.fgraph.toposort())
