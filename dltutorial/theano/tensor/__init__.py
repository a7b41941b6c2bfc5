"""``theano.tensor`` (``T``): PyTensor's tensor module, with Theano's ``nnet``, ``signal`` and random streams.

Differences kept as Theano had them: :func:`round` rounds halves away from
zero by default (PyTensor's rounds them to even).
"""

import pytensor.tensor as _pt
from pytensor.tensor import *  # noqa: F401,F403 (Theano's T.matrix, T.dot, T.nnet ... are these names)

from .._missing import missing
from . import nnet, shared_randomstreams, signal  # noqa: F401

grad = _pt.grad


def round(a, mode=None):  # noqa: A001 (Theano's name)
    """Round to the nearest integer, halves away from zero, as Theano's default ``mode`` did."""
    return _pt.round(a, mode=mode or "half_away_from_zero")


def __getattr__(name):
    raise missing("tensor", name)
