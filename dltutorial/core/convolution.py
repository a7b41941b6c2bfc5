"""Convolution as matrix products over patches, a block of output rows at a time, and its two gradients, as ops.

A convolution is one matrix product once every ``k_rows x k_cols`` window of
the input is laid out as a column (the patch matrix, im2col):
``patches[(ch, i, j), (r, c, b)] = x[b, ch, r + i, c + j]`` and
``out = filters @ patches``.  The gradients are two more products:
``d filters = g @ patches.T``, and ``d x``, the columns of ``filters.T @ g``
added back onto the windows they came from.

LeNet's second layer has a 64 MB patch matrix (500 x 32000 floats) and a
gradient as large.  Written whole, each step moves those through memory a
few times, and an allocator that maps fresh pages for every array that size
(Numba's does) pays for each page again.  So the ops build the patches of a
block of output rows, multiply, and go on: the whole matrix when it takes at
most :data:`WHOLE_PATCH_MATRIX_BYTES`, one output row (8 MB there) otherwise
(docs/benchmarks.md, "Why the code is shaped as it is", has the
measurements).  The image is read batch-last, ``(channels, rows, cols *
batch)``, so that each window row is one contiguous run.

The loops are written once, as Numba functions (their matrix products are
BLAS calls): the Numba backend inlines them in its graph, and ``perform``
(PyTensor's Python linker, or the C backend with the engine off) calls them
compiled.  With the engine on, the C backend runs
:mod:`dltutorial.engine.patches` instead, one product with the whole patch
matrix on the BLAS its C code links (that module says why).  JAX gets the
same arithmetic from its own operations.
"""

import numpy
import pytensor
import pytensor.tensor as pt
from pytensor.gradient import disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch import basic as numba_basic

NUMBA_CODE_VERSION = 5

_loop = numba_basic.numba_njit  # called only from the compiled functions below
_entry = numba_basic.numba_njit(final_function=True, cache=True)  # called by perform, and in Numba's graphs

WHOLE_PATCH_MATRIX_BYTES = 32 * 2 ** 20  # larger patch matrices are built one output row at a time


@_entry
def block_rows(x_shape, k_rows, k_cols, itemsize):
    """Output rows whose patches are built and multiplied together: all of them, or one (see the module doc)."""
    batch, channels, rows, cols = x_shape
    out_rows = rows - k_rows + 1
    whole = channels * k_rows * k_cols * out_rows * (cols - k_cols + 1) * batch * itemsize
    return out_rows if whole <= WHOLE_PATCH_MATRIX_BYTES else 1


@_loop
def _batch_last(x):
    """``x`` (batch, channels, rows, cols) as a contiguous ``(channels, rows, cols * batch)`` array."""
    batch, channels, rows, cols = x.shape
    return numpy.ascontiguousarray(x.transpose((1, 2, 3, 0))).reshape((channels, rows, cols * batch))


@_loop
def _patches(image, block, batch, k_rows, k_cols, out_cols, first, last, add_back):
    """The patches of output rows ``first`` to ``last - 1``: ``block`` (taps, (r, c, b)) from ``image``.

    With ``add_back``, the other way: each column of ``block`` is added onto
    its window of ``image`` (the input's gradient).
    """
    run = out_cols * batch
    for channel in range(image.shape[0]):
        for i in range(k_rows):
            for j in range(k_cols):
                tap = (channel * k_rows + i) * k_cols + j
                for r in range(first, last):
                    window = image[channel, r + i, j * batch:j * batch + run]
                    column = block[tap, (r - first) * run:(r - first + 1) * run]
                    if add_back:
                        window += column
                    else:
                        column[:] = window


@_entry
def convolve(filters, x, k_rows, k_cols, rows_at_once, out=None):
    """``filters`` (n_filters, taps) times the patch matrix of ``x``: ``(n_filters, out_rows, out_cols, batch)``.

    The patches of ``rows_at_once`` output rows are built and multiplied at a
    time (:func:`block_rows`); ``out``, if given, is an array of the result's
    shape and dtype to write into.
    """
    batch, channels, rows, cols = x.shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    run = out_cols * batch
    image, filters = _batch_last(x), numpy.ascontiguousarray(filters)
    if out is None:
        out = numpy.empty((filters.shape[0], out_rows, out_cols, batch), dtype=x.dtype)
    columns = out.reshape((filters.shape[0], out_rows * run))
    for first in range(0, out_rows, rows_at_once):
        last = min(first + rows_at_once, out_rows)
        block = numpy.empty((channels * k_rows * k_cols, (last - first) * run), dtype=x.dtype)
        _patches(image, block, batch, k_rows, k_cols, out_cols, first, last, False)
        if last - first == out_rows:
            numpy.dot(filters, block, columns)
        else:
            columns[:, first * run:last * run] = numpy.dot(filters, block)
    return out


@_entry
def filters_gradient(x, g, k_rows, k_cols, rows_at_once):
    """``g`` (n_filters, out_rows, out_cols, batch) times the patch matrix of ``x``, transposed: (n_filters, taps)."""
    batch, channels, rows, cols = x.shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    run = out_cols * batch
    image = _batch_last(x)
    g = numpy.ascontiguousarray(g).reshape((g.shape[0], out_rows * run))
    total = numpy.zeros((g.shape[0], channels * k_rows * k_cols), dtype=g.dtype)
    for first in range(0, out_rows, rows_at_once):
        last = min(first + rows_at_once, out_rows)
        block = numpy.empty((channels * k_rows * k_cols, (last - first) * run), dtype=x.dtype)
        _patches(image, block, batch, k_rows, k_cols, out_cols, first, last, False)
        total += numpy.dot(numpy.ascontiguousarray(g[:, first * run:last * run]), block.T)
    return total


@_entry
def input_gradient(filters, g, x_shape, k_rows, k_cols, rows_at_once, out=None):
    """The columns of ``filters.T @ g`` added back onto their windows: ``(channels, rows, cols, batch)``, batch-last.

    ``out``, if given, is an array of that shape and dtype to write into.
    """
    batch, channels, rows, cols = x_shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    run = out_cols * batch
    transposed = numpy.ascontiguousarray(filters).T
    g = numpy.ascontiguousarray(g).reshape((g.shape[0], out_rows * run))
    if out is None:
        out = numpy.zeros((channels, rows, cols, batch), dtype=g.dtype)
    else:
        out[...] = 0
    image = out.reshape((channels, rows, cols * batch))
    for first in range(0, out_rows, rows_at_once):
        last = min(first + rows_at_once, out_rows)
        block = numpy.dot(transposed, numpy.ascontiguousarray(g[:, first * run:last * run]))
        _patches(image, block, batch, k_rows, k_cols, out_cols, first, last, True)
    return out


def out_size(size, k):
    """A static output size for a window of ``k``, or None when the input's is unknown."""
    return None if size is None else size - k + 1


def _same_dtype(*variables):
    """The variables as tensors of one float type, the widest of theirs (the loops multiply them together)."""
    tensors = [pt.as_tensor_variable(v) for v in variables]
    dtype = pytensor.scalar.upcast(*(t.dtype for t in tensors))
    return [pt.cast(t, dtype) for t in tensors]


def reusable(last, shape, dtype):
    """The array an op returned at its last call, if the next result can be written into it, else None.

    The C backend keeps each intermediate result between calls
    (:func:`dltutorial.core.modes.compile_mode`): writing into it spares
    allocating, and faulting in, megabytes a step.
    """
    return last if last is not None and last.shape == tuple(shape) and last.dtype == dtype else None


class WindowOp(Op):
    """An op over ``k_rows x k_cols`` windows: the three below, and the C backend's patch ops."""

    __props__ = ("k_rows", "k_cols")

    def __init__(self, k_rows, k_cols):
        self.k_rows, self.k_cols = int(k_rows), int(k_cols)


class Convolution(WindowOp):
    """``(filters, x)`` -> ``filters @ patches(x)``, shaped ``(n_filters, out_rows, out_cols, batch)``.

    ``filters`` is ``(n_filters, channels * k_rows * k_cols)``, ``x`` is
    ``(batch, channels, rows, cols)``; the result is batch-last, the
    layout :func:`dltutorial.core.nnet.pool_2d` reduces without a copy.
    """

    def make_node(self, filters, x):
        filters, x = _same_dtype(filters, x)
        batch, channels, rows, cols = x.type.shape
        out_shape = (filters.type.shape[0], out_size(rows, self.k_rows), out_size(cols, self.k_cols), batch)
        return Apply(self, [filters, x], [pt.tensor(dtype=x.dtype, shape=out_shape)])

    def perform(self, node, inputs, outputs):
        (filters, x), (last,) = inputs, outputs[0]
        shape = self.infer_shape(None, node, [filters.shape, x.shape])[0]
        outputs[0][0] = convolve(filters, x, self.k_rows, self.k_cols, block_rows(x.shape, self.k_rows, self.k_cols, x.itemsize),
                                 reusable(last, shape, x.dtype))

    def infer_shape(self, fgraph, node, shapes):
        batch, channels, rows, cols = shapes[1]
        return [(shapes[0][0], rows - self.k_rows + 1, cols - self.k_cols + 1, batch)]

    def pullback(self, inputs, outputs, cotangents):
        (filters, x), (g,) = inputs, cotangents
        return [FiltersGradient(self.k_rows, self.k_cols)(x, g),
                InputGradient(self.k_rows, self.k_cols)(filters, g, x).dimshuffle(3, 0, 1, 2)]


class FiltersGradient(WindowOp):
    """``(x, g)`` -> ``g @ patches(x).T``: the gradient of :class:`Convolution` with respect to its filters."""

    def make_node(self, x, g):
        x, g = _same_dtype(x, g)
        channels = x.type.shape[1]
        taps = None if channels is None else channels * self.k_rows * self.k_cols
        return Apply(self, [x, g], [pt.tensor(dtype=g.dtype, shape=(g.type.shape[0], taps))])

    def perform(self, node, inputs, outputs):
        x, g = inputs
        outputs[0][0] = filters_gradient(x, g, self.k_rows, self.k_cols,
                                         block_rows(x.shape, self.k_rows, self.k_cols, x.itemsize))

    def infer_shape(self, fgraph, node, shapes):
        return [(shapes[1][0], shapes[0][1] * self.k_rows * self.k_cols)]

    def pullback(self, inputs, outputs, cotangents):  # linear in each input: the other two ops
        (x, g), (c,) = inputs, cotangents
        return [InputGradient(self.k_rows, self.k_cols)(c, g, x).dimshuffle(3, 0, 1, 2),
                Convolution(self.k_rows, self.k_cols)(c, x)]


class InputGradient(WindowOp):
    """``(filters, g, x)`` -> the columns of ``filters.T @ g`` summed back onto an image shaped like ``x``.

    The result is batch-last, ``(channels, rows, cols, batch)``, as the
    columns come: :meth:`Convolution.pullback` returns it through a
    transpose, which later elementwise ops then run in memory order
    (:func:`dltutorial.engine.rewrites.elementwise_in_memory_order`).
    """

    def make_node(self, filters, g, x):
        filters, g = _same_dtype(filters, g)
        x = pt.as_tensor_variable(x)
        batch, channels, rows, cols = x.type.shape
        return Apply(self, [filters, g, x], [pt.tensor(dtype=g.dtype, shape=(channels, rows, cols, batch))])

    def perform(self, node, inputs, outputs):
        (filters, g, x), (last,) = inputs, outputs[0]
        shape = self.infer_shape(None, node, [filters.shape, g.shape, x.shape])[0]
        outputs[0][0] = input_gradient(filters, g, x.shape, self.k_rows, self.k_cols,
                                       block_rows(x.shape, self.k_rows, self.k_cols, g.itemsize),
                                       reusable(last, shape, g.dtype))

    def infer_shape(self, fgraph, node, shapes):
        batch, channels, rows, cols = shapes[2]
        return [(channels, rows, cols, batch)]

    def connection_pattern(self, node):
        return [[True], [True], [False]]  # x gives only the shape

    def pullback(self, inputs, outputs, cotangents):  # linear in filters and in g
        (filters, g, x), (c,) = inputs, cotangents
        image = c.dimshuffle(3, 0, 1, 2)
        return [FiltersGradient(self.k_rows, self.k_cols)(image, g),
                Convolution(self.k_rows, self.k_cols)(filters, image), disconnected_type()]


@numba_basic.register_funcify_default_op_cache_key(Convolution)
def _numba_convolution(op, **kwargs):
    k_rows, k_cols = op.k_rows, op.k_cols

    @numba_basic.numba_njit
    def run(filters, x):
        return convolve(filters, x, k_rows, k_cols, block_rows(x.shape, k_rows, k_cols, x.itemsize))
    return run, NUMBA_CODE_VERSION  # PyTensor caches it under the op's props and this: bump it on changes


@numba_basic.register_funcify_default_op_cache_key(FiltersGradient)
def _numba_filters_gradient(op, **kwargs):
    k_rows, k_cols = op.k_rows, op.k_cols

    @numba_basic.numba_njit
    def run(x, g):
        return filters_gradient(x, g, k_rows, k_cols, block_rows(x.shape, k_rows, k_cols, x.itemsize))
    return run, NUMBA_CODE_VERSION


@numba_basic.register_funcify_default_op_cache_key(InputGradient)
def _numba_input_gradient(op, **kwargs):
    k_rows, k_cols = op.k_rows, op.k_cols

    @numba_basic.numba_njit
    def run(filters, g, x):
        return input_gradient(filters, g, x.shape, k_rows, k_cols, block_rows(x.shape, k_rows, k_cols, g.itemsize))
    return run, NUMBA_CODE_VERSION


def _jax_patches(x, k_rows, k_cols):
    """The whole patch matrix, ``(taps, (r, c, b))``: XLA fuses and schedules the work itself."""
    import jax.numpy as jnp

    batch, channels, rows, cols = x.shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    image = x.transpose((1, 2, 3, 0))
    taps = [image[:, i:i + out_rows, j:j + out_cols] for i in range(k_rows) for j in range(k_cols)]
    return jnp.stack(taps, axis=1).reshape((channels * k_rows * k_cols, -1))


def _jax_add_patches(x_shape, columns, k_rows, k_cols):
    import jax.numpy as jnp

    batch, channels, rows, cols = x_shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    columns = columns.reshape((channels, k_rows, k_cols, out_rows, out_cols, batch))
    image = jnp.zeros((channels, rows, cols, batch), dtype=columns.dtype)
    for i in range(k_rows):
        for j in range(k_cols):
            image = image.at[:, i:i + out_rows, j:j + out_cols].add(columns[:, i, j])
    return image


def register_jax_implementation():
    """Teach PyTensor's JAX backend the three ops (called when a jax mode is made: JAX is optional)."""
    from pytensor.link.jax.dispatch import jax_funcify

    def convolution(op, **kwargs):
        def run(filters, x):
            batch, channels, rows, cols = x.shape
            columns = filters @ _jax_patches(x, op.k_rows, op.k_cols)
            return columns.reshape((filters.shape[0], rows - op.k_rows + 1, cols - op.k_cols + 1, batch))
        return run

    def filters_gradient_(op, **kwargs):
        return lambda x, g: g.reshape((g.shape[0], -1)) @ _jax_patches(x, op.k_rows, op.k_cols).T

    def input_gradient_(op, **kwargs):
        return lambda filters, g, x: _jax_add_patches(x.shape, filters.T @ g.reshape((g.shape[0], -1)),
                                                      op.k_rows, op.k_cols)

    jax_funcify.register(Convolution)(convolution)
    jax_funcify.register(FiltersGradient)(filters_gradient_)
    jax_funcify.register(InputGradient)(input_gradient_)
