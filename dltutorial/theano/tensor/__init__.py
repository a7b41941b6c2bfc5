"""``theano.tensor`` (``T``): PyTensor's tensor module, with Theano's ``nnet``, ``signal`` and random streams.

Differences kept as Theano had them: :func:`round` rounds halves away from
zero by default (PyTensor's rounds them to even).
"""

import importlib

import pytensor.tensor as _pt
from pytensor.tensor import *  # noqa: F401,F403 (Theano's T.matrix, T.dot, T.nnet ... are these names)
from pytensor.tensor.elemwise import Elemwise  # noqa: F401 (what Theano code looks for in a compiled graph)

from .._missing import missing
from ..gradient import Lop, Rop, hessian, jacobian  # noqa: F401 (Theano's theano.tensor had them)
from . import nnet, shared_randomstreams  # noqa: F401

# the star import bound PyTensor's own ``signal``, ``blas`` and ``blas_c`` here, which ``from . import signal`` would
# hand back: ours by path
signal, blas, blas_c = (importlib.import_module(f"{__name__}.{name}") for name in ("signal", "blas", "blas_c"))
grad = _pt.grad
abs_ = _pt.abs  # Theano's name (``abs`` was Python's)


def flatten(x, outdim=1, ndim=None):
    """``x`` with its trailing axes merged into one, leaving ``outdim`` axes (Theano's keyword; PyTensor's is ndim)."""
    return _pt.flatten(x, ndim=outdim if ndim is None else ndim)


def round(a, mode=None):  # noqa: A001 (Theano's name)
    """Round to the nearest integer, halves away from zero, as Theano's default ``mode`` did."""
    return _pt.round(a, mode=mode or "half_away_from_zero")


def __getattr__(name):
    raise missing("tensor", name)
