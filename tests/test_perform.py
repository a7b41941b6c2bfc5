"""Our C ops' Python ``perform`` (what PyTensor runs where it cannot compile C) gives the C code's numbers."""

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode

from dltutorial.engine.blas2 import RankOneUpdate, RowGemv
from dltutorial.core.rng_mrg import MRGUniform
from dltutorial.engine.sums import AdjacentAxesSum, SumOfSquares

from .bounds import assert_within, gamma, product_error

PYTHON = Mode(linker="py", optimizer=None)  # every node's perform, the graph as built
C = Mode(linker="c", optimizer=None)  # every node's C code, the graph as built


def both(inputs, outputs, values):
    """The outputs computed by the ops' perform and by their C code."""
    return [pytensor.function(inputs, outputs, mode=mode)(*values) for mode in (PYTHON, C)]


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_the_row_by_row_ops(floatX):
    rng = numpy.random.RandomState(0)
    W = rng.normal(size=(40, 30)).astype(floatX)
    x = (rng.normal(size=40) * (rng.rand(40) < 0.5)).astype(floatX)
    y, b = rng.normal(size=30).astype(floatX), rng.normal(size=30).astype(floatX)
    Wv, xv, yv, bv = pt.matrix(dtype=floatX), *(pt.vector(dtype=floatX) for _ in range(3))
    alpha, beta = numpy.asarray(-0.5, floatX), numpy.asarray(2.0, floatX)
    outputs = [RowGemv(True)(bv, alpha, Wv, xv, beta), RowGemv(False)(xv, alpha, Wv, yv, beta),
               *RankOneUpdate(product="xW")(Wv, alpha, xv, yv, beta),
               *RankOneUpdate(product="Wy")(Wv, alpha, xv, yv, beta)]
    python, c = both([Wv, xv, yv, bv], outputs, [W, x, y, b])
    xw, wy = product_error(x, W, floatX), product_error(W, y, floatX)
    update = gamma(2, floatX) * (abs(W) + 0.5 * numpy.outer(abs(x), abs(y)))
    errors = [0.5 * xw + gamma(2, floatX) * 2 * abs(b), 0.5 * wy + gamma(2, floatX) * 2 * abs(x),
              update, 2 * xw, update, 2 * wy]
    for got, want, error in zip(python, c, errors):
        assert got.dtype == want.dtype == floatX
        assert_within(got, want, 2 * error, "row-by-row op")


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_the_float64_sums(floatX):
    x = pt.tensor4(dtype=floatX)
    values = numpy.random.RandomState(1).normal(size=(3, 4, 5, 6)).astype(floatX)
    python, c = both([x], [SumOfSquares(floatX)(x), AdjacentAxesSum(1, 3, floatX)(x)], [values])
    squares = values.astype("float64") ** 2
    # float64 sums of at most 360 terms in any order, then one rounding to floatX
    errors = [2 * gamma(values.size + 1, "float64") * squares.sum() + numpy.finfo(floatX).eps * squares.sum(),
              2 * gamma(20, "float64") * abs(values).sum(axis=(1, 2)) + numpy.finfo(floatX).eps * abs(c[1])]
    for got, want, error in zip(python, c, errors):
        assert got.dtype == want.dtype == floatX
        assert_within(got, want, error, "sum")


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_the_mrg_draws_are_the_same_bits(floatX):
    """Integer arithmetic on the same states: the same draws, the same next states."""
    states = pt.imatrix("states")
    start = numpy.array([[12345, 12345, 12345, 12345, 12345, 12345], [1, 2, 3, 4, 5, 6]], dtype="int32")
    python, c = both([states], list(MRGUniform(floatX)(states, [3, 5])), [start])
    for got, want in zip(python, c):
        numpy.testing.assert_array_equal(got, want)
    assert python[1].dtype == floatX and ((0 < python[1]) & (python[1] < 1)).all()
