"""``theano.tensor.nnet``: activations, losses, softmax with Theano's shapes, and ``conv2d``."""

import pytensor.tensor as pt

from pytensor.compile.sharedvalue import SharedVariable

from ....core.nnet import conv2d as _conv2d
from ....core.nnet import relu  # noqa: F401
from ..._missing import missing

sigmoid = pt.sigmoid
softplus = pt.softplus
ultra_fast_sigmoid = pt.sigmoid  # Theano's approximations: the exact function here
hard_sigmoid = pt.sigmoid


def softmax(c):
    """Softmax of each row; a vector is treated as one row and gives a (1, n) matrix, as Theano's did."""
    rows = c.dimshuffle("x", 0) if c.ndim == 1 else c
    return pt.special.softmax(rows, axis=-1)


def binary_crossentropy(output, target):
    """``-(target * log(output) + (1 - target) * log(1 - output))``, elementwise."""
    return -(target * pt.log(output) + (1.0 - target) * pt.log(1.0 - output))


def categorical_crossentropy(coding_dist, true_dist):
    """Each row's cross-entropy: ``true_dist`` one label per row (integers) or a distribution per row."""
    if true_dist.ndim == coding_dist.ndim:
        return -pt.sum(true_dist * pt.log(coding_dist), axis=coding_dist.ndim - 1)
    return -pt.log(coding_dist[pt.arange(coding_dist.shape[0]), true_dist])


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1),
           filter_flip=True, image_shape=None, **kwargs):
    """A 2-D convolution, 'valid' or 'full' (``filter_flip``: a true convolution, as Theano's default).

    Shared filters need no ``filter_shape``: their value's shape is it.
    """
    if filter_shape is None and isinstance(filters, SharedVariable):
        filter_shape = filters.get_value(borrow=True).shape
    if tuple(subsample) != (1, 1) or kwargs:
        raise missing("tensor.nnet", f"conv2d(subsample={tuple(subsample)}{', ' if kwargs else ''}{', '.join(kwargs)})")
    return _conv2d(input, filters, filter_shape=filter_shape, input_shape=input_shape or image_shape,
                   border_mode=border_mode, filter_flip=filter_flip)


from . import conv  # noqa: E402,F401 (Theano's older module, theano.tensor.nnet.conv.conv2d)


def __getattr__(name):
    raise missing("tensor.nnet", name)
