"""The engine's C ops as Numba functions: the ``numba`` mode runs the same ops, in one graph, as the ``c`` mode.

:class:`~.blas2.RowGemv`, :class:`~.blas2.RankOneUpdate`, :class:`~.sums.SumOfSquares`
and :class:`~.sums.AdjacentAxesSum` get the loops of their C code, on one
thread, over the rows in order: a row whose input is zero is skipped, and
the backward product is read in the pass that updates ``W``.  PyTensor's
Numba flags (``fastmath``: reassociation and contraction) let LLVM vectorise
them as gcc does the C.  :func:`register` teaches PyTensor's Numba dispatch
the four ops; :func:`dltutorial.engine.registry.register_rewrites` calls it,
so nothing here loads before a tutorial compiles.
"""

import functools

import numpy
from numba.np.unsafe import ndarray as numba_ndarray
from pytensor.link.numba.dispatch import basic as numba_basic

from .blas2 import RankOneUpdate, RowGemv
from .sums import AdjacentAxesSum, SumOfSquares

# PyTensor caches each compiled function under its op's props and this: bump it whenever a kernel changes
NUMBA_CODE_VERSION = 1

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
def row_gemv_transposed(y, alpha, W, x, beta):
    """``beta * y + alpha * (x @ W)``: the rows of ``W`` scaled by ``x``, skipping zero entries of ``x``."""
    _check_length(x, W, 0)
    _check_length(y, W, 1)
    m, n = W.shape
    a, xs = alpha[()], numpy.ascontiguousarray(x)
    out = _start(y, beta[()], n, W)
    for i in range(m):
        if xs[i] == 0:
            continue
        scale = a * xs[i]
        row = W[i]
        for j in range(n):
            out[j] += scale * row[j]
    return out


@njit
def row_gemv(y, alpha, W, x, beta):
    """``beta * y + alpha * (W @ x)``: a dot product per row of ``W``."""
    _check_length(x, W, 1)
    _check_length(y, W, 0)
    m, n = W.shape
    a, xs = alpha[()], numpy.ascontiguousarray(x)
    out = _start(y, beta[()], m, W)
    zero = numpy.zeros(1, W.dtype)[0]  # the dot products add in W's type, as in the C code
    for i in range(m):
        row = W[i]
        dot = zero
        for j in range(n):
            dot += row[j] * xs[j]
        out[i] += a * dot
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
def rank_one_update(W, alpha, x, y, destructive):
    """``W + alpha * outer(x, y)``, leaving the rows where ``x`` is zero unread."""
    w, xs, ys = _updated(W, x, y, destructive)
    m, n = w.shape
    a = alpha[()]
    for i in range(m):
        if xs[i] == 0:
            continue
        scale = a * xs[i]
        row = w[i]
        for j in range(n):
            row[j] += scale * ys[j]
    return w


@njit
def rank_one_update_and_xW(W, alpha, x, y, beta, destructive):
    """The update and ``beta * (x @ W)`` of the old ``W``, read in the same pass over the rows where ``x`` is not 0."""
    w, xs, ys = _updated(W, x, y, destructive)
    m, n = w.shape
    a, b = alpha[()], beta[()]
    p = numpy.zeros(n, w.dtype)
    for i in range(m):
        if xs[i] == 0:
            continue
        scale, weight = a * xs[i], b * xs[i]
        row = w[i]
        for j in range(n):
            v = row[j]
            p[j] += weight * v
            row[j] = v + scale * ys[j]
    return w, p


@njit
def rank_one_update_and_Wy(W, alpha, x, y, beta, destructive):
    """The update and ``beta * (W @ y)`` of the old ``W``: each row's dot product read as the row is updated."""
    w, xs, ys = _updated(W, x, y, destructive)
    m, n = w.shape
    a, b = alpha[()], beta[()]
    p = numpy.empty(m, w.dtype)
    zero = numpy.zeros(1, w.dtype)[0]
    for i in range(m):
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
    return w, p


def _funcify_row_gemv(op, **kwargs):
    return (row_gemv_transposed if op.transposed else row_gemv), NUMBA_CODE_VERSION


def _funcify_rank_one_update(op, **kwargs):
    destructive = op.destructive
    if op.product is None:
        @njit
        def update(W, alpha, x, y):
            return rank_one_update(W, alpha, x, y, destructive)
        return update, NUMBA_CODE_VERSION
    kernel = rank_one_update_and_xW if op.product == "xW" else rank_one_update_and_Wy

    @njit
    def update_and_product(W, alpha, x, y, beta):
        return kernel(W, alpha, x, y, beta, destructive)
    return update_and_product, NUMBA_CODE_VERSION


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
    """Register the four ops' Numba implementations with PyTensor's Numba dispatch; once per process."""
    for op_type, funcify in ((RowGemv, _funcify_row_gemv), (RankOneUpdate, _funcify_rank_one_update),
                             (SumOfSquares, _funcify_sum_of_squares), (AdjacentAxesSum, _funcify_adjacent_axes_sum)):
        numba_basic.register_funcify_default_op_cache_key(op_type)(funcify)
