"""``theano.tensor.blas_c``: the C BLAS-2 op classes ``CGemv`` and ``CGer``, which dltutorial's ``RowGemv`` and
``RankOneUpdate`` answer to where they take those ops' place (see :mod:`.blas`)."""

import pytensor.tensor.blas_c as _blas_c
from pytensor.tensor.blas_c import cgemv_inplace, cgemv_no_inplace, cger_inplace, cger_no_inplace  # noqa: F401

from ...engine.blas2 import RankOneUpdate, RowGemv
from .._missing import missing
from .blas import Gemv, Ger, answering_class

CGemv = answering_class(_blas_c.CGemv, RowGemv)
CGer = answering_class(_blas_c.CGer, RankOneUpdate)
Gemv.register(CGemv)  # as Theano's CGemv was a Gemv, and CGer a Ger
Ger.register(CGer)


def __getattr__(name):
    raise missing("tensor.blas_c", name)
