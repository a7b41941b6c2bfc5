"""``theano.tensor.signal``: ``pool`` (and ``downsample``, its name in Theano's first releases)."""

from . import downsample, pool  # noqa: F401
