"""Ops PyTensor 3 no longer ships: ``relu`` and ``elu``, and convolution and pooling for LeNet.

PyTensor 3 no longer ships Theano's ``nnet.relu``, ``nnet.conv2d`` and
``signal.pool``.  :func:`relu` (and :func:`elu`) is one line.  :func:`conv2d`
lays every filter-sized window of the input out as a column (the patch
matrix) and contracts the columns with the filters in matrix products, so
nearly all the arithmetic runs in BLAS: :class:`~dltutorial.core.convolution.Convolution`,
whose gradients are two more such ops, builds the patches of a block of
output rows at a time.  :func:`pool_2d` reshapes each non-overlapping
window onto its own axes and reduces over them, and PyTensor
differentiates it.

Why this formulation: one product per filter tap instead is slower, since
it makes many small products whose inner dimension is only the channel
count.  The patches are built batch-last, ``(channels, rows, cols,
batch)``: each window row is then a long contiguous run, the columns come
out in the layout the product needs, and pooling a convolution's output
needs no copy.  Gathering the patches
with an integer index is as fast forwards, but its gradient (PyTensor's
index increment) is far slower than the window-by-window sums.  Built from
slices and a join, the patch matrix compiled slower (see
:mod:`~dltutorial.core.convolution`; docs/benchmarks.md, "Why the code is shaped
as it is", has the measurements).  ``pool_2d(..., ignore_border=True)`` is
the pooling the tutorial uses.
"""

import numpy
import pytensor.tensor as pt

from .convolution import Convolution

POOL_MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def elu(x, alpha=1.0):
    """The exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return pt.switch(x > 0, x, alpha * pt.expm1(x))


def relu(x, alpha=0):
    """Theano's ``nnet.relu``: ``x`` where positive, ``alpha * x`` elsewhere (0: the plain rectifier)."""
    return pt.maximum(x, 0) if alpha == 0 else pt.switch(x > 0, x, alpha * x)


def _static_shape(name, variable, given, ndim):
    """The shape of ``variable`` known at build time: its type's, completed by ``given``."""
    if variable.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D tensor, got {variable.ndim}-D")
    static = variable.type.shape
    if given is None:
        return static
    given = tuple(given)
    if len(given) != ndim:
        raise ValueError(f"{name}_shape must have {ndim} entries, got {given}")
    for known, claimed in zip(static, given):
        if known is not None and claimed is not None and known != claimed:
            raise ValueError(f"{name}_shape {given} does not match the tensor's shape {static}")
    return tuple(known if claimed is None else claimed for known, claimed in zip(static, given))


def conv2d(input, filters, filter_shape=None, input_shape=None, border_mode="valid",
           filter_flip=True):
    """2-D convolution of a minibatch of multi-channel images with a bank of filters.

    :param input: symbolic 4-D tensor ``(batch, channels, rows, cols)``
    :param filters: symbolic 4-D tensor ``(n_filters, channels, k_rows, k_cols)``
    :param filter_shape: the filters' shape, if their type does not say it
                         (the filter size must be known when the graph is built)
    :param input_shape: the input's shape, if known (``None`` for unknown entries)
    :param border_mode: ``'valid'`` (output ``rows - k_rows + 1``) or ``'full'``
                        (zero-padded, output ``rows + k_rows - 1``)
    :param filter_flip: ``True`` (default, as Theano's ``conv2d``): a true
                        convolution, the filters flipped in both spatial axes,
                        ``out[b, f, r, c] = sum_{ch, i, j} input[b, ch, r + i, c + j]
                        * filters[f, ch, k_rows - 1 - i, k_cols - 1 - j]``;
                        ``False``: cross-correlation (no flip)
    :returns: symbolic 4-D tensor ``(batch, n_filters, out_rows, out_cols)``
    """
    batch, in_channels, rows, cols = _static_shape("input", input, input_shape, 4)
    n_filters, channels, k_rows, k_cols = _static_shape("filter", filters, filter_shape, 4)
    if k_rows is None or k_cols is None:
        raise ValueError("conv2d needs the filter size when the graph is built: pass filter_shape=")
    if None not in (channels, in_channels) and channels != in_channels:
        raise ValueError(f"the input has {in_channels} channels but the filters expect {channels}")
    if border_mode not in ("valid", "full"):
        raise ValueError(f"conv2d: border_mode {border_mode!r} is not implemented; use 'valid' or 'full'")
    if border_mode == "full":
        canvas = pt.zeros((input.shape[0], input.shape[1], input.shape[2] + 2 * (k_rows - 1),
                           input.shape[3] + 2 * (k_cols - 1)), dtype=input.dtype)
        input = pt.set_subtensor(canvas[:, :, k_rows - 1:k_rows - 1 + input.shape[2],
                                        k_cols - 1:k_cols - 1 + input.shape[3]], input)
        rows = None if rows is None else rows + 2 * (k_rows - 1)
        cols = None if cols is None else cols + 2 * (k_cols - 1)
    # start-snippet-1
    if filter_flip:
        filters = filters[:, :, ::-1, ::-1]
    known = (batch, channels if in_channels is None else in_channels, rows, cols)
    if known != input.type.shape:  # sizes the caller gave, so that the result keeps a static shape
        input = pt.specify_shape(input, known)
    n_filters = filters.shape[0] if n_filters is None else n_filters
    # (n_filters, out_rows, out_cols, batch): batch last, the layout pool_2d reduces without a copy
    out = Convolution(k_rows, k_cols)(filters.reshape((n_filters, -1)), input)
    return out.dimshuffle(3, 0, 1, 2)
    # end-snippet-1


def pool_2d(input, ws=(2, 2), ignore_border=True, stride=None, pad=(0, 0), mode="max"):
    """Downsample each feature map of a minibatch by non-overlapping ``ws`` windows.

    :param input: symbolic 4-D tensor ``(batch, channels, rows, cols)``
    :param ws: window (rows, cols)
    :param ignore_border: ``True``: drop the ragged edge (a 5x5 map pooled by
                          2x2 gives 2x2); ``False``: keep it as partial windows (3x3)
    :param mode: ``'max'``, ``'sum'`` or the average (``'average_inc_pad'`` and
                 ``'average_exc_pad'`` agree without padding; a partial
                 window averages the pixels it holds)
    :param stride, pad: only their defaults (``stride == ws``, no padding) are
                        implemented; anything else raises ValueError
    :returns: symbolic 4-D tensor ``(batch, channels, pooled rows, pooled cols)``

    The gradient of ``'max'`` goes to every pixel equal to its window's max,
    as Theano's ``MaxPoolGrad`` did.
    """
    ws = tuple(int(w) for w in ws)
    if len(ws) != 2 or min(ws) < 1:
        raise ValueError(f"pool_2d: ws must be two positive sizes, got {ws}")
    if stride is not None and tuple(stride) != ws:
        raise ValueError(f"pool_2d: only non-overlapping windows are implemented (stride == ws); "
                         f"got stride={tuple(stride)} with ws={ws}")
    if tuple(pad) != (0, 0):
        raise ValueError(f"pool_2d: padding is not implemented; got pad={tuple(pad)}")
    if mode not in POOL_MODES:
        raise ValueError(f"pool_2d: unknown mode {mode!r}; choose one of {', '.join(POOL_MODES)}")
    if input.ndim != 4:
        raise ValueError(f"pool_2d needs a 4-D (batch, channels, rows, cols) tensor, got {input.ndim}-D")

    x = input.dimshuffle(1, 2, 3, 0)  # (channels, rows, cols, batch), as conv2d lays out its output
    rows, cols = x.shape[1], x.shape[2]
    if ignore_border:
        x = x[:, : rows // ws[0] * ws[0], : cols // ws[1] * ws[1], :]
    else:
        full_rows = (rows + ws[0] - 1) // ws[0] * ws[0]
        full_cols = (cols + ws[1] - 1) // ws[1] * ws[1]
        fill = -numpy.inf if mode == "max" else 0
        canvas = pt.full((x.shape[0], full_rows, full_cols, x.shape[3]), fill, dtype=x.dtype)
        x = pt.set_subtensor(canvas[:, :rows, :cols, :], x)
    pooled = _window_reduce(x, ws, "max" if mode == "max" else "sum")
    if mode.startswith("average"):
        if ignore_border:
            pooled = pooled / numpy.prod(ws)
        else:
            inside = pt.set_subtensor(pt.zeros((1, full_rows, full_cols, 1), dtype=x.dtype)[:, :rows, :cols, :], 1)
            pooled = pooled / _window_reduce(inside, ws, "sum")
    return pooled.dimshuffle(3, 0, 1, 2)


def _window_reduce(x, ws, how):
    """Reduce ``x`` (channels, rows, cols, batch) over non-overlapping ``ws`` windows.

    Channels and window rows share one axis, so that the reduction runs
    over five axes instead of six: PyTensor's C reduction is several times
    slower over six, and over five it beats numpy
    (docs/benchmarks.md, "Why the code is shaped as it is", has the
    measurements).
    """
    channels, rows, cols, batch = x.shape[0], x.shape[1] // ws[0], x.shape[2] // ws[1], x.shape[3]
    windows = x.reshape((channels * rows, ws[0], cols, ws[1], batch), ndim=5)
    reduced = windows.max(axis=(1, 3)) if how == "max" else windows.sum(axis=(1, 3))
    return reduced.reshape((channels, rows, cols, batch), ndim=4)
