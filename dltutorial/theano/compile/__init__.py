"""``theano.compile``: ``function``, ``In`` and ``mode.get_default_mode``."""

from .._missing import missing
from . import mode  # noqa: F401
from .function import In, function  # noqa: F401


def __getattr__(name):
    raise missing("compile", name)
