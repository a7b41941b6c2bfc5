"""``theano.scalar``: PyTensor's scalar types and ops (``upcast``, which the original hmc.py calls, among them)."""

from pytensor.scalar import *  # noqa: F401,F403 (Theano's theano.scalar names are these)
from pytensor.scalar import upcast  # noqa: F401

from ._missing import missing


def __getattr__(name):
    raise missing("scalar", name)
