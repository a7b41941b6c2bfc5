"""The engine's C ops as Numba functions: the ``numba`` mode runs the same ops, in one graph, as the ``c`` mode.

:class:`~.blas2.RowGemv`, :class:`~.blas2.RankOneUpdate`, :class:`~.sums.SumOfSquares`
and :class:`~.sums.AdjacentAxesSum` get the loops of their C code: a row
whose input is zero is skipped, and the backward product is read in the
pass that updates ``W``.  The row-by-row ops share their rows among threads
as the C code does (OpenMP's static blocks, ``OMP_NUM_THREADS`` of them,
one a core by default; one thread below the C code's size threshold), and
a sum that several threads add into is a vector per thread, added in
thread order: the same sums, in the same order, at every call.  The float32
``tanh`` of :mod:`.vector_math` is arithmetic only, which LLVM vectorises.  Numba runs
the threads on its OpenMP layer (its default where there is no TBB).  PyTensor's
Numba flags (``fastmath``: reassociation and contraction) let LLVM vectorise
them as gcc does the C.  :func:`register` teaches PyTensor's Numba dispatch
these ops; :func:`dltutorial.engine.registry.register_rewrites` calls it,
so nothing here loads before a tutorial compiles.
"""

import functools
import hashlib
import math
import os

import numba
import numpy
from numba import prange
from numba.np.unsafe import ndarray as numba_ndarray
from pytensor.link.numba.dispatch import basic as numba_basic

from .blas2 import PARALLEL_MIN_ELEMENTS, RankOneUpdate, RowGemv
from .sums import AdjacentAxesSum, SumOfSquares
from .vector_math import VectorisedTanh

# PyTensor caches each compiled function under its op's props and this: bump it whenever a kernel changes
NUMBA_CODE_VERSION = 5

njit = numba_basic.numba_njit


@njit
def _check_length(vector, W, axis):
    if vector.shape[0] != W.shape[axis]:
        raise ValueError("a matrix with a vector whose length is not that of the matrix's axis")


@njit
def _start(y, b, length, like):
    """``b * y``, or zeros when ``b`` is 0 (``y`` then unread), as a new vector of ``like``'s dtype."""
    out = numpy.zeros(length, like.dtype)
    if b != 0:
        for k in range(length):
            out[k] = b * y[k]
    return out


@njit
def _block(m, threads, t):
    """Rows ``[lo, hi)`` of thread ``t`` of ``threads``: OpenMP's static schedule, as the C code shares them."""
    base, extra = m // threads, m % threads
    lo = t * base + min(t, extra)
    return lo, lo + base + (1 if t < extra else 0)


@njit
def _threads(m, n, most):
    """The threads for a pass over ``m x n`` values: one below the C code's threshold, else ``most``."""
    return most if m * n >= PARALLEL_MIN_ELEMENTS else 1


@njit
def _add_scaled_rows(out, W, xs, a, lo, hi):
    """``out += a * (xs[lo:hi] @ W[lo:hi])``, skipping the rows where ``xs`` is zero."""
    n = W.shape[1]
    for i in range(lo, hi):
        if xs[i] == 0:
            continue
        scale = a * xs[i]
        row = W[i]
        for j in range(n):
            out[j] += scale * row[j]


@njit(parallel=True)
def row_gemv_transposed(y, alpha, W, x, beta, most):
    """``beta * y + alpha * (x @ W)``: the rows of ``W`` scaled by ``x``, skipping zero entries of ``x``.

    Each thread adds its block of rows into a vector of its own (the first
    into the result), and those are added to the result in thread order.
    """
    _check_length(x, W, 0)
    _check_length(y, W, 1)
    m, n = W.shape
    a, xs = alpha[()], numpy.ascontiguousarray(x)
    out = _start(y, beta[()], n, W)
    threads = _threads(m, n, most)
    if threads == 1:
        _add_scaled_rows(out, W, xs, a, 0, m)
        return out
    copies = numpy.zeros((threads - 1, n), W.dtype)
    for t in prange(threads):
        lo, hi = _block(m, threads, t)
        _add_scaled_rows(out if t == 0 else copies[t - 1], W, xs, a, lo, hi)
    for t in range(threads - 1):
        for j in range(n):
            out[j] += copies[t, j]
    return out


@njit
def _row_dots(out, W, xs, a, lo, hi):
    """``out[i] += a * (W[i] @ xs)`` for the rows ``lo .. hi - 1``, added in ``W``'s type as in the C code."""
    n = W.shape[1]
    zero = numpy.zeros(1, W.dtype)[0]
    for i in range(lo, hi):
        row = W[i]
        dot = zero
        for j in range(n):
            dot += row[j] * xs[j]
        out[i] += a * dot


@njit(parallel=True)
def row_gemv(y, alpha, W, x, beta, most):
    """``beta * y + alpha * (W @ x)``: a dot product per row of ``W``, each thread a block of rows."""
    _check_length(x, W, 1)
    _check_length(y, W, 0)
    m, n = W.shape
    a, xs = alpha[()], numpy.ascontiguousarray(x)
    out = _start(y, beta[()], m, W)
    threads = _threads(m, n, most)
    if threads == 1:
        _row_dots(out, W, xs, a, 0, m)
        return out
    for t in prange(threads):
        lo, hi = _block(m, threads, t)
        _row_dots(out, W, xs, a, lo, hi)
    return out


@njit
def _updated(W, x, y, destructive):
    """The matrix to update (``W`` itself when ``destructive``, else a C-ordered copy) and contiguous ``x``, ``y``."""
    if W.ndim != 2:
        raise ValueError("W must be a matrix")
    _check_length(x, W, 0)
    _check_length(y, W, 1)
    return (W if destructive else W.copy()), numpy.ascontiguousarray(x), numpy.ascontiguousarray(y)


@njit
def _update_rows(w, xs, ys, a, lo, hi):
    """``w[i] += a * xs[i] * ys`` for the rows ``lo .. hi - 1`` where ``xs`` is not zero."""
    n = w.shape[1]
    for i in range(lo, hi):
        if xs[i] == 0:
            continue
        scale = a * xs[i]
        row = w[i]
        for j in range(n):
            row[j] += scale * ys[j]


@njit(parallel=True)
def rank_one_update(W, alpha, x, y, destructive, most):
    """``W + alpha * outer(x, y)``, leaving the rows where ``x`` is zero unread; each thread a block of rows."""
    w, xs, ys = _updated(W, x, y, destructive)
    m, n = w.shape
    a = alpha[()]
    threads = _threads(m, n, most)
    if threads == 1:
        _update_rows(w, xs, ys, a, 0, m)
        return w
    for t in prange(threads):
        lo, hi = _block(m, threads, t)
        _update_rows(w, xs, ys, a, lo, hi)
    return w


@njit
def _update_rows_adding_xW(w, p, xs, ys, a, b, lo, hi):
    """The update of the rows ``lo .. hi - 1`` where ``xs`` is not 0, adding ``b * xs[i]`` times each old row to ``p``."""
    n = w.shape[1]
    for i in range(lo, hi):
        if xs[i] == 0:
            continue
        scale, weight = a * xs[i], b * xs[i]
        row = w[i]
        for j in range(n):
            v = row[j]
            p[j] += weight * v
            row[j] = v + scale * ys[j]


@njit(parallel=True)
def rank_one_update_and_xW(W, alpha, x, y, beta, destructive, most):
    """The update and ``beta * (x @ W)`` of the old ``W``, read in the same pass over the rows where ``x`` is not 0.

    The product's partial sums are a vector per thread, added in thread order,
    as in :func:`row_gemv_transposed`.
    """
    w, xs, ys = _updated(W, x, y, destructive)
    m, n = w.shape
    a, b = alpha[()], beta[()]
    p = numpy.zeros(n, w.dtype)
    threads = _threads(m, n, most)
    if threads == 1:
        _update_rows_adding_xW(w, p, xs, ys, a, b, 0, m)
        return w, p
    copies = numpy.zeros((threads - 1, n), w.dtype)
    for t in prange(threads):
        lo, hi = _block(m, threads, t)
        _update_rows_adding_xW(w, p if t == 0 else copies[t - 1], xs, ys, a, b, lo, hi)
    for t in range(threads - 1):
        for j in range(n):
            p[j] += copies[t, j]
    return w, p


@njit
def _update_rows_and_dots(w, p, xs, ys, a, b, lo, hi):
    """The update of the rows ``lo .. hi - 1``, and ``p[i] = b * (old row i) @ ys``, read as each row is updated."""
    n = w.shape[1]
    zero = numpy.zeros(1, w.dtype)[0]
    for i in range(lo, hi):
        scale = a * xs[i]
        row = w[i]
        dot = zero
        if xs[i] == 0:
            for j in range(n):
                dot += row[j] * ys[j]
        else:
            for j in range(n):
                v = row[j]
                dot += v * ys[j]
                row[j] = v + scale * ys[j]
        p[i] = b * dot


@njit(parallel=True)
def rank_one_update_and_Wy(W, alpha, x, y, beta, destructive, most):
    """The update and ``beta * (W @ y)`` of the old ``W``: each row's dot product read as the row is updated."""
    w, xs, ys = _updated(W, x, y, destructive)
    m, n = w.shape
    a, b = alpha[()], beta[()]
    p = numpy.empty(m, w.dtype)
    threads = _threads(m, n, most)
    if threads == 1:
        _update_rows_and_dots(w, p, xs, ys, a, b, 0, m)
        return w, p
    for t in prange(threads):
        lo, hi = _block(m, threads, t)
        _update_rows_and_dots(w, p, xs, ys, a, b, lo, hi)
    return w, p


# expm1(z) = z (1 + z/2 + z^2/6 + ...): the series of (exp(z) - 1) / z, up to z^13
EXPM1_SERIES = tuple(1 / math.factorial(n + 1) for n in range(14))


@njit(inline="always")
def _expm1(y, doublings):
    """``exp(y) - 1`` from its series at ``y / 2**doublings``, doubled ``doublings`` times by
    ``expm1(2z) = expm1(z) (expm1(z) + 2)``.

    Unlike ``exp(y) - 1`` this keeps its relative error near 0; each doubling
    at most doubles it, some 1e-16 for the series: 4e-15 after five, far below
    float32's 6e-8.  The series is written as a loop over a tuple, which Numba
    unrolls, so the whole function is one stretch of arithmetic LLVM vectorises.
    """
    z = y * 0.5 ** doublings
    total = 0.0
    for c in EXPM1_SERIES[::-1]:  # Horner's rule
        total = total * z + c
    m = z * total
    for _ in range(doublings):
        m = m * (m + 2.0)
    return m


@njit
def tanh_float32(x):
    """tanh of a float32, in float64: ``m / (m + 2)`` with ``m = expm1(2|x|)``, which has no cancellation near 0."""
    a = min(abs(numpy.float64(x)), 9.5)  # from 9.01 on, float32's tanh is 1
    m = _expm1(2.0 * a, 5)  # 2a / 32 is below 0.6, where 14 terms reach 1e-14
    t = numpy.divide(m, m + 2.0)  # numpy's division, without Python's zero check: it vectorises
    return numpy.float32(numpy.copysign(t, numpy.float64(x))) if x == x else x


def _funcify_vectorised_tanh(op, node, **kwargs):
    """PyTensor's Numba dispatch for :class:`~.vector_math.VectorisedTanh`: :func:`tanh_float32`, float32 only."""
    if node.inputs[0].type.dtype != "float32":
        raise TypeError(f"{op} computes float32 values only, not {node.inputs[0].type.dtype}")
    return tanh_float32, hashlib.sha256(f"{type(op).__qualname__} {NUMBA_CODE_VERSION}".encode()).hexdigest()


def openmp_threads():
    """The threads the C ops' OpenMP runs: ``OMP_NUM_THREADS``, else one per core we may use (at most Numba's)."""
    try:
        wanted = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0])
    except ValueError:
        wanted = len(os.sched_getaffinity(0))
    return max(1, min(wanted, numba.config.NUMBA_NUM_THREADS))


def _funcify_row_gemv(op, **kwargs):
    kernel, most = (row_gemv_transposed if op.transposed else row_gemv), openmp_threads()

    @njit
    def gemv(y, alpha, W, x, beta):
        return kernel(y, alpha, W, x, beta, most)
    return gemv, 1000 * NUMBA_CODE_VERSION + most


def _funcify_rank_one_update(op, **kwargs):
    destructive, most = op.destructive, openmp_threads()
    if op.product is None:
        @njit
        def update(W, alpha, x, y):
            return rank_one_update(W, alpha, x, y, destructive, most)
        return update, 1000 * NUMBA_CODE_VERSION + most
    kernel = rank_one_update_and_xW if op.product == "xW" else rank_one_update_and_Wy

    @njit
    def update_and_product(W, alpha, x, y, beta):
        return kernel(W, alpha, x, y, beta, destructive, most)
    return update_and_product, 1000 * NUMBA_CODE_VERSION + most


def _float_type(dtype):
    return numpy.float32 if dtype == "float32" else numpy.float64


def _funcify_sum_of_squares(op, **kwargs):
    to_float = _float_type(op.dtype)

    @njit
    def sum_of_squares(x):
        data = numpy.ascontiguousarray(x).reshape(-1)
        total = 0.0
        for i in range(data.shape[0]):
            v = numpy.float64(data[i])
            total += v * v
        out = numpy.empty((), to_float)
        out[()] = total
        return out
    return sum_of_squares, NUMBA_CODE_VERSION


def _funcify_adjacent_axes_sum(op, node, **kwargs):
    first, last, to_float = op.first, op.last, _float_type(op.dtype)
    ndim = node.inputs[0].ndim
    out_ndim = ndim - (last - first)

    @njit
    def adjacent_axes_sum(x):
        data = numpy.ascontiguousarray(x).reshape(-1)
        outer, summed, inner = 1, 1, 1
        kept = numpy.empty(out_ndim, numpy.int64)
        for axis in range(ndim):
            size = x.shape[axis]
            if axis < first:
                outer *= size
                kept[axis] = size
            elif axis < last:
                summed *= size
            else:
                inner *= size
                kept[axis - (last - first)] = size
        out = numpy.empty(outer * inner, to_float)
        rows = numpy.empty(inner, numpy.float64)
        for o in range(outer):
            start = o * summed * inner
            if inner == 1:
                total = 0.0
                for s in range(summed):
                    total += data[start + s]
                out[o] = total
                continue
            rows[:] = 0.0
            for s in range(summed):
                for i in range(inner):
                    rows[i] += data[start + s * inner + i]
            for i in range(inner):
                out[o * inner + i] = rows[i]
        return out.reshape(numba_ndarray.to_fixed_tuple(kept, out_ndim))

    # compiled for its input's rank: that, and the code's version, key PyTensor's cache beside the op's props
    return adjacent_axes_sum, 100 * NUMBA_CODE_VERSION + ndim


@functools.cache
def register():
    """Register the engine's ops' Numba implementations with PyTensor's Numba dispatch; once per process."""
    for op_type, funcify in ((RowGemv, _funcify_row_gemv), (RankOneUpdate, _funcify_rank_one_update),
                             (SumOfSquares, _funcify_sum_of_squares), (AdjacentAxesSum, _funcify_adjacent_axes_sum)):
        numba_basic.register_funcify_default_op_cache_key(op_type)(funcify)
    numba_basic.register_funcify_and_cache_key(VectorisedTanh)(_funcify_vectorised_tanh)
