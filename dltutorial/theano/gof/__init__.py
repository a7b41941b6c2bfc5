"""``theano.gof``: the graph's building blocks (``Op``, ``Apply``, ``Variable``, ``Type`` ...) under Theano's names.

``Op`` is the base for a user's own op written as Theano's documentation
taught (:mod:`.op`); the others are PyTensor's classes, which kept Theano's
constructors.
"""

from pytensor.graph.basic import Apply, Constant, Variable  # noqa: F401
from pytensor.graph.fg import FunctionGraph  # noqa: F401
from pytensor.graph.type import Type  # noqa: F401
from pytensor.graph.utils import MethodNotDefined  # noqa: F401
from pytensor.link.c.type import Generic, generic  # noqa: F401

from .._missing import missing
from . import op  # noqa: F401
from .op import Op

PureOp = Op  # Theano's base of Op, for ops with only a Python implementation


def __getattr__(name):
    raise missing("gof", name)
