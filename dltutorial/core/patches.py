"""The patch matrix of a convolution (im2col) and its adjoint, as two ops.

A convolution is one matrix product once every ``k_rows x k_cols`` window of
the input is laid out as a column: ``patches(x)[(ch, i, j), (r, c, b)] =
x[b, ch, r + i, c + j]``.  The gradient runs the other way: each column is
added back onto the window it came from (:func:`patches_adjoint`).

Built from ordinary tensor operations (one slice per filter tap, a join, and
one slice increment per tap backwards) they ran at about the same speed, but
a LeNet training step held far more nodes, and Numba took much longer to
compile it (docs/benchmarks.md, "Why the code is shaped as it is", has the
measurements).  The loops below are written once: numpy runs them for the C
backend, Numba compiles the same functions, and JAX gets the same arithmetic
with functional updates.
"""

import numpy
import pytensor.tensor as pt
from pytensor.gradient import disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch import basic as numba_basic


NUMBA_CODE_VERSION = 4


def patches(x, k_rows, k_cols, out=None):
    """The ``(channels * k_rows * k_cols, out_rows * out_cols * batch)`` patch matrix of ``x``.

    ``out``, if given, is an array of that shape and dtype to write it into.
    """
    batch, channels, rows, cols = x.shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    image = numpy.ascontiguousarray(x.transpose((1, 2, 3, 0)))  # batch last: each window row is one run
    windows = (channels, k_rows, k_cols, out_rows, out_cols, batch)
    out = numpy.empty(windows, dtype=x.dtype) if out is None else out.reshape(windows)
    for channel in range(channels):  # channel by channel, so that its image stays in cache for all its taps
        for i in range(k_rows):
            for j in range(k_cols):
                out[channel, i, j] = image[channel, i:i + out_rows, j:j + out_cols]
    return out.reshape((channels * k_rows * k_cols, out_rows * out_cols * batch))


def patches_adjoint(x, g, k_rows, k_cols, out=None):
    """Each column of ``g`` added back onto its window of an image shaped like ``x``, returned batch-last.

    The result is ``(channels, rows, cols, batch)``, the layout the columns
    come in; ``out``, if given, is an array of that shape to write it into.
    """
    batch, channels, rows, cols = x.shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    g = numpy.ascontiguousarray(g).reshape((channels, k_rows, k_cols, out_rows, out_cols, batch))
    if out is None:
        image = numpy.zeros((channels, rows, cols, batch), dtype=g.dtype)
    else:
        image = out
        image[...] = 0
    for channel in range(channels):
        for i in range(k_rows):
            for j in range(k_cols):
                image[channel, i:i + out_rows, j:j + out_cols] += g[channel, i, j]
    return image


def _jax_patches(x, k_rows, k_cols):
    import jax.numpy as jnp

    batch, channels, rows, cols = x.shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    image = x.transpose((1, 2, 3, 0))
    taps = [image[:, i:i + out_rows, j:j + out_cols] for i in range(k_rows) for j in range(k_cols)]
    return jnp.stack(taps, axis=1).reshape((channels * k_rows * k_cols, -1))


def _jax_patches_adjoint(x, g, k_rows, k_cols):
    import jax.numpy as jnp

    batch, channels, rows, cols = x.shape
    out_rows, out_cols = rows - k_rows + 1, cols - k_cols + 1
    g = g.reshape((channels, k_rows, k_cols, out_rows, out_cols, batch))
    image = jnp.zeros((channels, rows, cols, batch), dtype=g.dtype)
    for i in range(k_rows):
        for j in range(k_cols):
            image = image.at[:, i:i + out_rows, j:j + out_cols].add(g[:, i, j])
    return image


def _out_size(size, k):
    return None if size is None else size - k + 1


def _reusable(last, shape, dtype):
    """The array an op returned at its last call, if the next result can be written into it, else None.

    The C backend keeps each intermediate result between calls
    (:func:`dltutorial.core.modes.compile_mode`): writing into it spares
    allocating, and faulting in, tens of megabytes a step.
    """
    return last if last is not None and last.shape == tuple(shape) and last.dtype == dtype else None


class _WindowOp(Op):
    """An op over ``k_rows x k_cols`` windows: the two ops below."""

    __props__ = ("k_rows", "k_cols")

    def __init__(self, k_rows, k_cols):
        self.k_rows, self.k_cols = int(k_rows), int(k_cols)


class Patches(_WindowOp):
    """``x`` (batch, channels, rows, cols) -> its patch matrix for ``k_rows x k_cols`` windows."""

    def make_node(self, x):
        x = pt.as_tensor_variable(x)
        batch, channels, rows, cols = x.type.shape
        out_rows, out_cols = _out_size(rows, self.k_rows), _out_size(cols, self.k_cols)
        taps = None if channels is None else channels * self.k_rows * self.k_cols
        columns = None if None in (batch, out_rows, out_cols) else batch * out_rows * out_cols
        return Apply(self, [x], [pt.tensor(dtype=x.dtype, shape=(taps, columns))])

    def perform(self, node, inputs, outputs):
        (x,), (last,) = inputs, outputs[0]
        shape = self.infer_shape(None, node, [x.shape])[0]
        outputs[0][0] = patches(x, self.k_rows, self.k_cols, _reusable(last, shape, x.dtype))

    def infer_shape(self, fgraph, node, shapes):
        batch, channels, rows, cols = shapes[0]
        return [(channels * self.k_rows * self.k_cols,
                 batch * (rows - self.k_rows + 1) * (cols - self.k_cols + 1))]

    def pullback(self, inputs, outputs, cotangents):
        return [PatchesAdjoint(self.k_rows, self.k_cols)(inputs[0], cotangents[0]).dimshuffle(3, 0, 1, 2)]


class PatchesAdjoint(_WindowOp):
    """``(x, g)`` -> the columns of ``g`` summed back onto an image shaped like ``x``, batch-last.

    Batch-last, ``(channels, rows, cols, batch)``, as the columns come: the
    gradient :meth:`Patches.pullback` returns is this op's result seen
    through a transpose, which later elementwise ops then run in memory
    order (:func:`dltutorial.engine.rewrites.elementwise_in_memory_order`).
    """

    def make_node(self, x, g):
        x, g = pt.as_tensor_variable(x), pt.as_tensor_variable(g)
        batch, channels, rows, cols = x.type.shape
        return Apply(self, [x, g], [pt.tensor(dtype=g.dtype, shape=(channels, rows, cols, batch))])

    def perform(self, node, inputs, outputs):
        (x, g), (last,) = inputs, outputs[0]
        shape = self.infer_shape(None, node, [x.shape, g.shape])[0]
        outputs[0][0] = patches_adjoint(x, g, self.k_rows, self.k_cols, _reusable(last, shape, g.dtype))

    def infer_shape(self, fgraph, node, shapes):
        batch, channels, rows, cols = shapes[0]
        return [(channels, rows, cols, batch)]

    def connection_pattern(self, node):
        return [[False], [True]]  # x gives only the shape

    def pullback(self, inputs, outputs, cotangents):
        return [disconnected_type(), Patches(self.k_rows, self.k_cols)(cotangents[0].dimshuffle(3, 0, 1, 2))]


@numba_basic.register_funcify_default_op_cache_key(Patches)
def _numba_patches(op, **kwargs):
    k_rows, k_cols, loops = op.k_rows, op.k_cols, numba_basic.numba_njit(patches)

    @numba_basic.numba_njit
    def run(x):
        return loops(x, k_rows, k_cols)
    return run, NUMBA_CODE_VERSION  # PyTensor caches it under the op's props and this: bump it on changes


@numba_basic.register_funcify_default_op_cache_key(PatchesAdjoint)
def _numba_patches_adjoint(op, **kwargs):
    k_rows, k_cols, loops = op.k_rows, op.k_cols, numba_basic.numba_njit(patches_adjoint)

    @numba_basic.numba_njit
    def run(x, g):
        return loops(x, g, k_rows, k_cols)
    return run, NUMBA_CODE_VERSION


def register_jax_implementation():
    """Teach PyTensor's JAX backend the two ops (called when a jax mode is made: JAX is optional)."""
    from pytensor.link.jax.dispatch import jax_funcify

    jax_funcify.register(Patches)(lambda op, **kwargs: lambda x: _jax_patches(x, op.k_rows, op.k_cols))
    jax_funcify.register(PatchesAdjoint)(
        lambda op, **kwargs: lambda x, g: _jax_patches_adjoint(x, g, op.k_rows, op.k_cols))
