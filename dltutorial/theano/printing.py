"""``theano.printing``: PyTensor's printers under Theano's names."""

from pytensor.printing import Print, debugprint, pp, pprint, pydotprint  # noqa: F401

from ._missing import missing


def __getattr__(name):
    raise missing("printing", name)
