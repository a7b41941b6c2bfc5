"""``theano.tensor.shared_randomstreams.RandomStreams``: Theano's argument order on PyTensor's RandomStream.

Each draw updates its generator when a compiled function runs (Theano's
default updates), from numpy's PCG64 instead of Theano's MT19937: the same
distributions, other numbers.
"""

import warnings

import pytensor.tensor as pt

from ...core.random_init import pytensor_stream


class RandomStreams:
    """``RandomStreams(seed)`` with ``uniform``, ``normal``, ``binomial``, ``random_integers`` and ``choice``."""

    def __init__(self, seed=None):
        self.stream = pytensor_stream(seed)

    def seed(self, seed=None):
        self.stream.seed(seed)

    def _draw(self, name, *args, dtype=None, **kwargs):
        """A draw cast to ``dtype``: Theano drew integers straight into float masks (``binomial(..., dtype=floatX)``)."""
        with warnings.catch_warnings():  # PyTensor 3 deprecates default updates; they are Theano's semantics
            warnings.simplefilter("ignore", DeprecationWarning)
            draw = getattr(self.stream, name)(*args, **kwargs)
        return draw if dtype is None or dtype == draw.dtype else pt.cast(draw, dtype)

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        return self._draw("uniform", low, high, size=size, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        return self._draw("normal", avg, std, size=size, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        return self._draw("binomial", n, p if prob is None else prob, size=size, dtype=dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        return self._draw("integers", low, high + 1, size=size, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        return self._draw("choice", a, size=size, replace=replace, p=p, dtype=dtype)
