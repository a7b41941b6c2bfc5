"""The speed engine behind one door: it degrades to plain PyTensor, with one warning, when an internal is missing."""

import sys

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.tensor.rewriting import blas_c

from dltutorial import engine
from dltutorial.core.compile import compile_function, pytensor_function
from dltutorial.engine.blas2 import RankOneUpdate, RowGemv


@pytest.fixture
def without_use_c_gemv(monkeypatch):
    """PyTensor as another release might be: ``pytensor.tensor.rewriting.blas_c.use_c_gemv`` gone.

    The engine's modules are dropped from ``sys.modules`` (and the package) so that they are imported again
    against it; afterwards the ones already loaded come back, with their rewrites registered.
    """
    monkeypatch.delattr(blas_c, "use_c_gemv")
    for name in [name for name in sys.modules if name.startswith("dltutorial.engine.") and name != __name__]:
        if name != "dltutorial.engine.configure":
            monkeypatch.delitem(sys.modules, name)
            monkeypatch.delattr(engine, name.rsplit(".", 1)[1], raising=False)
    engine._registry.cache_clear()
    yield
    engine._registry.cache_clear()


def batch_one_step(mode="c"):
    """One SGD step of a sigmoid layer on row ``i`` of a shared data set: a batch-1 step the engine rewrites."""
    rng = numpy.random.RandomState(0)
    floatX = pytensor.config.floatX
    data = pytensor.shared(rng.uniform(size=(6, 8)).astype(floatX))
    W = pytensor.shared(rng.normal(size=(8, 5)).astype(floatX))
    i, x = pt.lscalar("i"), pt.matrix("x")
    cost = pt.sigmoid(pt.dot(x, W)).sum()
    step = compile_function([i], cost, updates=[(W, W - 0.1 * pt.grad(cost, W))],
                            givens={x: data[i * 1: (i + 1) * 1]}, mode=mode)
    return step, data.get_value(), W


def expected_step(row, W):
    """The same step in numpy: the cost, and W after the update."""
    hidden = 1 / (1 + numpy.exp(-row @ W))
    return hidden.sum(), W - 0.1 * numpy.outer(row, hidden * (1 - hidden))


def test_the_engine_rewrites_a_batch_one_step():
    step, _, _ = batch_one_step()
    ops = {type(node.op) for node in pytensor_function(step).maker.fgraph.apply_nodes}
    assert RowGemv in ops and RankOneUpdate in ops


def test_a_missing_pytensor_internal_turns_the_engine_off_with_one_warning(without_use_c_gemv):
    with pytest.warns(engine.EngineOff, match=r"speed engine is off .*use_c_gemv") as warned:
        step, data, W = batch_one_step()
        batch_one_step()  # a second compile warns no more
    assert sum(isinstance(w.message, engine.EngineOff) for w in warned) == 1
    ops = {type(node.op) for node in pytensor_function(step).maker.fgraph.apply_nodes}
    assert not ops & {RowGemv, RankOneUpdate}  # compiled by PyTensor's plain fast_run
    start = W.get_value()
    cost = step(2)
    expected_cost, expected_W = expected_step(data[2:3], start)
    # float64 (the tests' floatX): a sum of 5 sigmoids and products of 8 terms, far inside 1e-12 relative
    numpy.testing.assert_allclose(cost, expected_cost, rtol=1e-12)
    numpy.testing.assert_allclose(W.get_value(), expected_W, rtol=1e-12)
