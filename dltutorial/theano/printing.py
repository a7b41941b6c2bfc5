"""``theano.printing``: PyTensor's printers under Theano's names."""

import pytensor.printing
from pytensor.printing import Print, pp, pprint  # noqa: F401

from ..core.compile import pytensor_function
from ._missing import missing


def _graph(obj):
    """A compiled function (theano.function's) as PyTensor's printers take it; anything else as it is."""
    return pytensor_function(obj) if hasattr(obj, "fn") else obj


def debugprint(obj, *args, **kwargs):
    """PyTensor's debugprint, which also takes what theano.function returned."""
    return pytensor.printing.debugprint(_graph(obj), *args, **kwargs)


def pydotprint(fct, *args, **kwargs):
    """PyTensor's pydotprint, which also takes what theano.function returned."""
    return pytensor.printing.pydotprint(_graph(fct), *args, **kwargs)


def __getattr__(name):
    raise missing("printing", name)
