"""``theano.tensor.signal``: ``pool``."""

from . import pool  # noqa: F401
