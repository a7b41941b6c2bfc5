"""The C backend's convolution: the whole patch matrix as one op, multiplied by PyTensor's BLAS.

:mod:`dltutorial.core.convolution`'s ops build the patches of a few output
rows at a time, in Numba loops that call the BLAS Numba links (SciPy's).
In the C backend the rest of the step calls another copy of OpenBLAS, the
one the C code links, and two OpenBLAS thread pools on the same cores slowed
LeNet's step 2.7-fold (docs/benchmarks.md, "Why the code is shaped as it
is").  :func:`dltutorial.engine.rewrites.convolution_as_one_product` gives
the C backend the formulation it runs fastest instead: :class:`Patches`
lays out every window of the input as a column, one matrix product (a C
``Dot22`` or ``Gemm``) does the arithmetic, and :class:`PatchesAdjoint`
adds the columns of the input's gradient back onto their windows.  Written
into the array of the step before (the C backend keeps them), the 64 MB
patch matrix of LeNet's second layer costs no fresh pages.
"""

import numpy
import pytensor.tensor as pt
from pytensor.graph.basic import Apply

from ..core.convolution import WindowOp, out_size, reusable


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


class Patches(WindowOp):
    """``x`` (batch, channels, rows, cols) -> its patch matrix for ``k_rows x k_cols`` windows."""

    def make_node(self, x):
        x = pt.as_tensor_variable(x)
        batch, channels, rows, cols = x.type.shape
        out_rows, out_cols = out_size(rows, self.k_rows), out_size(cols, self.k_cols)
        taps = None if channels is None else channels * self.k_rows * self.k_cols
        columns = None if None in (batch, out_rows, out_cols) else batch * out_rows * out_cols
        return Apply(self, [x], [pt.tensor(dtype=x.dtype, shape=(taps, columns))])

    def perform(self, node, inputs, outputs):
        (x,), (last,) = inputs, outputs[0]
        shape = self.infer_shape(None, node, [x.shape])[0]
        outputs[0][0] = patches(x, self.k_rows, self.k_cols, reusable(last, shape, x.dtype))

    def infer_shape(self, fgraph, node, shapes):
        batch, channels, rows, cols = shapes[0]
        return [(channels * self.k_rows * self.k_cols,
                 batch * (rows - self.k_rows + 1) * (cols - self.k_cols + 1))]


class PatchesAdjoint(WindowOp):
    """``(x, g)`` -> the columns of ``g`` summed back onto an image shaped like ``x``, batch-last.

    Batch-last, ``(channels, rows, cols, batch)``, as the columns come, like
    :class:`dltutorial.core.convolution.InputGradient`, whose place it takes.
    """

    def make_node(self, x, g):
        x, g = pt.as_tensor_variable(x), pt.as_tensor_variable(g)
        batch, channels, rows, cols = x.type.shape
        return Apply(self, [x, g], [pt.tensor(dtype=g.dtype, shape=(channels, rows, cols, batch))])

    def perform(self, node, inputs, outputs):
        (x, g), (last,) = inputs, outputs[0]
        shape = self.infer_shape(None, node, [x.shape, g.shape])[0]
        outputs[0][0] = patches_adjoint(x, g, self.k_rows, self.k_cols, reusable(last, shape, g.dtype))

    def infer_shape(self, fgraph, node, shapes):
        batch, channels, rows, cols = shapes[0]
        return [(channels, rows, cols, batch)]
