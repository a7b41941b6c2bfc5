"""``theano.tensor.signal.downsample``: the pooling of Theano's first releases, ``max_pool_2d``."""

from ..._missing import missing
from .pool import pool_2d


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode="max"):
    """The old name and arguments of :func:`~dltutorial.theano.tensor.signal.pool.pool_2d`."""
    return pool_2d(input, ds=ds, ignore_border=ignore_border, st=st, padding=padding, mode=mode)


def __getattr__(name):
    raise missing("tensor.signal.downsample", name)
