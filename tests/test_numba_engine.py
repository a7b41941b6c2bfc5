"""The engine's ops under Numba: the ``numba`` mode's batch-1 steps run row by row and give the ``c`` mode's numbers."""

import os

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.tensor.blas import Dot22, Gemm, Gemv, Ger
from pytensor.tensor.math import Dot

from dltutorial.core.compile import compile_function
from dltutorial.engine import rewrite_tags
from dltutorial.engine.blas2 import RankOneUpdate, RowGemv
from dltutorial.engine.sums import AdjacentAxesSum, SumOfSquares

from .bounds import assert_within, gamma, trajectory_rtol
from .test_rewrites import (SUMS, compiled_nodes, op_types, row_blas_cases, row_ops, row_ops_errors, row_ops_graph,
                            sda_steps)

ROW_OPS = {"pretrain": [("RankOneUpdate", "None"), ("RankOneUpdate", "xW"), ("RowGemv", "False"), ("RowGemv", "True")],
           "finetune": [("RankOneUpdate", "None"), ("RankOneUpdate", "Wy"), ("RankOneUpdate", "Wy"),
                        ("RowGemv", "True"), ("RowGemv", "True"), ("RowGemv", "True")]}
BLAS_OPS = (Dot22, Gemm, Gemv, Ger)  # PyTensor's Numba backend has none of them


def in_both(inputs, outputs, values, mode):
    """The outputs computed by the ops' C code and by their Numba implementations (the graph as built)."""
    rewrite_tags(mode)  # the engine registers its ops' Numba implementations with its rewrites
    return [pytensor.function(inputs, outputs, mode=Mode(linker=linker, optimizer=None))(*values)
            for linker in ("cvm", mode)]


@pytest.mark.parametrize("mode", ["numba"])
def test_the_numba_batch_one_sda_steps_are_the_c_modes_row_by_row_ops(tiny_idx, mode):
    """One graph for both modes: the same products and updates row by row, and no BLAS op Numba cannot run."""
    steps = dict(zip(ROW_OPS, sda_steps(tiny_idx, "float32", batch_size=1, mode=mode)))
    for name, fn in steps.items():
        assert row_ops(fn) == ROW_OPS[name], name
        assert not [op for op in op_types(fn) if issubclass(op, (*BLAS_OPS, Dot))], name


@pytest.mark.parametrize("mode", ["numba"])
def test_larger_numba_batches_keep_their_dots(tiny_idx, mode):
    pretrain, _ = sda_steps(tiny_idx, "float64", batch_size=5, mode=mode)
    ops = op_types(pretrain)
    assert Dot in ops and not {RowGemv, RankOneUpdate} & set(ops)
    assert not [op for op in ops if issubclass(op, BLAS_OPS)]


@pytest.mark.parametrize("mode", ["numba"])
@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_the_row_by_row_ops_give_the_c_codes_values(floatX, mode):
    """Every product and update, in place or not, over C-ordered, Fortran-ordered and reversed matrices.

    Both share the rows among the same threads in the same blocks and add in the same order, but gcc and LLVM
    vectorise and contract (fused multiply-adds) each in its own way: each side is within the error bound of the
    exact value.  Called twice, the numba side gives the same bits: its threads' sums are added in thread order.
    """
    inputs, outputs, alpha, beta = row_ops_graph(floatX)
    for w, xs, ys in row_blas_cases(floatX):
        b = ys[::-1].copy()
        kept = w.copy()
        c, numba = in_both(inputs, outputs, [w, xs, ys, b], mode)
        numpy.testing.assert_array_equal(w, kept)  # inputs are not updated in place
        errors = row_ops_errors(w, xs, ys, b, alpha, beta, floatX)
        for got, want, error in zip(numba, c, errors):
            assert got.dtype == want.dtype == floatX
            assert_within(got, want, 2 * error, "row-by-row op")
        for again, first in zip(in_both(inputs, outputs, [w, xs, ys, b], mode)[1], numba):
            numpy.testing.assert_array_equal(again, first)
        # a row whose input is zero is not read: an inf there stays out of x @ W and of the update
        poisoned = w.copy()
        poisoned[xs == 0] = numpy.inf
        c, numba = in_both(inputs, outputs[:1] + outputs[3:5], [poisoned, xs, ys, b], mode)
        for got, want in zip(numba, c):
            numpy.testing.assert_array_equal(numpy.isinf(got), numpy.isinf(want))
        assert numpy.isfinite(numba[0]).all()


def test_the_numba_kernels_take_as_many_threads_as_the_c_codes_openmp(monkeypatch):
    import numba

    from dltutorial.engine.numba_kernels import openmp_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert openmp_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "64,1")  # a nested setting: its outer count, at most Numba's threads
    assert openmp_threads() == numba.config.NUMBA_NUM_THREADS
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert openmp_threads() == min(len(os.sched_getaffinity(0)), numba.config.NUMBA_NUM_THREADS)


@pytest.mark.parametrize("mode", ["numba"])
def test_a_numba_row_by_row_op_given_mismatched_shapes_says_so(mode):
    W, x = pt.dmatrix("W"), pt.dvector("x")
    fn = compile_function([W, x], RowGemv(True)(pt.zeros(W.shape[1]), numpy.float64(1), W, x, numpy.float64(0)),
                          mode=mode)
    with pytest.raises(ValueError, match="a matrix with a vector whose length is not that of the matrix's axis"):
        fn(numpy.ones((3, 4)), numpy.ones(5))


@pytest.mark.parametrize("mode", ["numba"])
@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_the_float64_sums_give_the_c_codes_values(floatX, mode):
    """The sum of squares and every sum over adjacent axes, whatever the layout the input comes in."""
    x = pt.tensor4("x", dtype=floatX)
    sums = [SumOfSquares(floatX)(x)] + [AdjacentAxesSum(first, last, floatX)(x)
                                        for first, last in ((0, 1), (1, 4), (1, 3), (0, 4))]
    values = numpy.random.RandomState(1).normal(size=(5, 6, 7, 8)).astype(floatX)
    for layout in (values, numpy.asfortranarray(values), values[:, :, ::2], values[:0]):
        c, numba = in_both([x], sums, [layout], mode)
        magnitudes = [(layout.astype("float64") ** 2).sum()] + [
            abs(layout.astype("float64")).sum(axis=tuple(range(first, last)))
            for first, last in ((0, 1), (1, 4), (1, 3), (0, 4))]
        for got, want, magnitude in zip(numba, c, magnitudes):
            assert got.dtype == want.dtype == floatX and got.shape == want.shape
            # both add at most 1,680 float64 terms in their own order, then round once to floatX
            assert_within(got, want, 2 * gamma(values.size, "float64") * magnitude
                          + numpy.finfo(floatX).eps * abs(want), "sum")


@pytest.mark.parametrize("mode", ["numba"])
def test_the_numba_mode_sums_with_the_c_modes_ops(mode):
    def sum_ops(mode):
        with pytensor.config.change_flags(floatX="float32"):
            x = pt.tensor4("x")
            fn = compile_function([x], [summed(x) for summed, _ in SUMS.values()] + [(x ** 2).sum()], mode=mode)
        ops = op_types(fn)
        return ops.count(AdjacentAxesSum), ops.count(SumOfSquares)

    assert sum_ops(mode) == sum_ops("c") and sum_ops(mode)[1] == 1


@pytest.mark.parametrize("mode", ["numba"])
@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_the_numba_sda_trains_as_the_c_one(tiny_idx, floatX, mode):
    """Twenty pretraining and twenty finetuning steps at batch size 1: the same costs, within the drift bound."""
    def costs(mode):
        pretrain, finetune = sda_steps(tiny_idx, floatX, batch_size=1, mode=mode)
        return ([float(pretrain(i, corruption=0.3, lr=0.1)) for i in range(20)]
                + [float(finetune(i)) for i in range(20)])

    assert "dltutorial_rows" in rewrite_tags(mode)
    numpy.testing.assert_allclose(costs(mode), costs("c"), rtol=trajectory_rtol(20, (1, 64, 30, 20, 10), floatX))


def _float32_sample():
    """Every 97th float32 from 0 to 100 (about 11 million), their negatives, and the special values."""
    positive = numpy.arange(0, numpy.float32(100).view(numpy.uint32), 97, dtype=numpy.uint32).view(numpy.float32)
    special = numpy.array([numpy.nan, numpy.inf, -numpy.inf, -0.0, 1e-45, 1e30], dtype=numpy.float32)
    return numpy.concatenate([positive, -positive, special])


@pytest.mark.parametrize("mode", ["numba"])
def test_float32_tanh_runs_vectorised_and_rounds_the_exact_value(mode):
    """In float32 the numba mode computes tanh by its own arithmetic, within one ulp of the exact value.

    It computes in float64 with a relative error below 1e-14 (:func:`dltutorial.engine.numba_kernels._expm1`), so
    the float32 result is the exact value rounded, or its neighbour where the exact value lies within 1e-14 of a
    rounding boundary; float64 tanh, and the c mode, keep PyTensor's.
    """
    x = pt.vector("x", dtype="float32")
    fn = compile_function([x], pt.tanh(x), mode=mode)
    assert [type(op).__name__ for op in scalar_ops(fn)] == ["VectorisedTanh"]
    for other, dtype in (("c", "float32"), (mode, "float64")):
        v = pt.vector("v", dtype=dtype)
        assert [type(op).__name__ for op in scalar_ops(compile_function([v], pt.tanh(v), mode=other))] == ["Tanh"]
    values = _float32_sample()
    got = fn(values).astype("float64")
    exact = numpy.tanh(values.astype("float64"))
    finite = numpy.isfinite(values)
    ulp = numpy.spacing(numpy.abs(exact[finite]).astype("float32")).astype("float64")
    assert numpy.all(numpy.abs(got[finite] - exact[finite]) <= ulp)
    assert numpy.isnan(got[-6]) and list(got[-5:-3]) == [1.0, -1.0]  # NaN stays NaN; the limits at +-infinity
    assert numpy.signbit(got[-3])  # tanh(-0.0) is -0.0


def scalar_ops(fn):
    """The scalar ops of a compiled function's elementwise nodes (inside fused loops too)."""
    ops = []
    for node in compiled_nodes(fn):
        scalar_op = getattr(node.op, "scalar_op", None)
        if scalar_op is None:
            continue
        inner = getattr(scalar_op, "fgraph", None)
        ops += [n.op for n in inner.apply_nodes] if inner is not None else [scalar_op]
    return ops
