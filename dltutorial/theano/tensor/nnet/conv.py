"""``theano.tensor.nnet.conv``: the convolution of Theano's first releases, ``conv.conv2d(input, filters, ...)``."""

from ..._missing import missing


def conv2d(input, filters, image_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1), **kargs):
    """The old ``conv2d``, with its argument order (``image_shape`` before ``filter_shape``): the same convolution as
    ``theano.tensor.nnet.conv2d``."""
    from . import conv2d as convolution

    return convolution(input, filters, filter_shape=filter_shape, image_shape=image_shape, border_mode=border_mode,
                       subsample=subsample, **kargs)


def __getattr__(name):
    raise missing("tensor.nnet.conv", name)
