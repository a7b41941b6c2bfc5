"""Theano's names on PyTensor: ``import dltutorial.theano as theano`` and Theano code runs unchanged.

What the Deep Learning Tutorials' code (and code like it) calls:
``theano.function`` (``givens``, ``updates``, ``In`` defaults, keyword calls,
``name``, ``on_unused_input``, ``mode``), ``theano.shared``,
``theano.config``, ``theano.scan`` (returning ``(outputs, updates)``),
``theano.grad`` and ``theano.gradient`` (``Rop``, ``Lop``, ``jacobian``
...), ``theano.tensor`` (with ``nnet``, ``signal.pool``, ``blas`` and
``shared_randomstreams``), ``theano.sandbox.rng_mrg``, ``theano.printing``,
``theano.compile.mode`` and ``theano.Op`` / ``theano.gof`` for ops of one's own.  Where Theano and PyTensor differ under one name,
the layer does what Theano did (see docs/theano_compat.md).  A feature it
does not provide fails at the attribute with one line naming a replacement.

``python -m dltutorial.theano script.py`` runs a script whose ``import
theano`` resolves to this package.  Importing this package changes nothing
in PyTensor's configuration.
"""

import sys

import pytensor
from pytensor import shared

from . import compile, gof, gradient, ifelse, printing, sandbox, scalar, scan_module, tensor  # noqa: A004 (Theano's)
from ._missing import missing
from .compile.function import In, function
from .compile.mode import Mode
from .configuration import config
from .gof import Apply, Constant, FunctionGraph, Generic, Op, Type, Variable, generic
from .scan_module import scan

grad = pytensor.grad
dot = tensor.dot
pp = printing.pp
theano = sys.modules[__name__]  # Theano's package held its own name: ``from theano import theano``
__version__ = "1.0.5+dltutorial"  # the last Theano release whose API this follows

__all__ = ["Apply", "Constant", "FunctionGraph", "Generic", "In", "Mode", "Op", "Type", "Variable", "compile", "config",
           "dot", "function", "generic", "gof", "grad", "gradient", "ifelse", "pp", "printing", "sandbox", "scalar", "scan",
           "scan_module", "shared", "tensor", "theano"]


def __getattr__(name):
    raise missing("", name)
