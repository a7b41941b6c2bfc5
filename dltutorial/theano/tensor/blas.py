"""``theano.tensor.blas``: Theano's BLAS op classes, which the ops of a compiled graph answer to.

PyTensor kept Theano's classes (``Gemm``, ``Dot22``, ``Dot22Scalar``,
``Gemv``, ``Ger`` ...), and these are they, except where one of dltutorial's
engine ops can take a PyTensor op's place in a graph: ``RowGemv`` computes
what ``Gemv`` does and ``RankOneUpdate`` what ``Ger`` does, row by row.
There the name is :func:`answering_class`'s: an abstract class that both
PyTensor's op and ours are instances of, so that ``isinstance(node.op,
T.blas.Gemv)`` finds either; calling it builds PyTensor's op, as Theano's
class did.
"""

import abc

import pytensor.tensor.blas as _blas
from pytensor.tensor.blas import (  # noqa: F401 (Theano's names, PyTensor's classes and op instances)
    BatchedDot,
    Dot22,
    Dot22Scalar,
    Gemm,
    GemmRelated,
    _dot22,
    _dot22scalar,
    batched_dot,
    gemm_inplace,
    gemm_no_inplace,
    gemv_inplace,
    gemv_no_inplace,
    ger,
    ger_destructive,
    ldflags,
)

from ...engine.blas2 import RankOneUpdate, RowGemv
from .._missing import missing


def answering_class(pytensor_class, *ours):
    """An abstract class named as ``pytensor_class`` (Theano's), of which it and the classes ``ours`` are (virtual)
    subclasses, and whose constructor builds ``pytensor_class``'s op."""
    def build(cls, *args, **kwargs):
        return pytensor_class(*args, **kwargs)

    answering = abc.ABCMeta(pytensor_class.__name__, (abc.ABC,), {
        "__new__": build, "__module__": __name__,
        "__doc__": f"Theano's {pytensor_class.__name__}: PyTensor's op or {', '.join(c.__name__ for c in ours)}, "
                   "which does its job"})
    for cls in (pytensor_class, *ours):
        answering.register(cls)
    return answering


Gemv = answering_class(_blas.Gemv, RowGemv)
Ger = answering_class(_blas.Ger, RankOneUpdate)


def __getattr__(name):
    raise missing("tensor.blas", name)
