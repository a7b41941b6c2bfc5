"""``theano.sandbox``: ``rng_mrg`` (MRG31k3p streams, drawn in every mode as Theano drew them)."""

from .._missing import missing
from . import rng_mrg  # noqa: F401


def __getattr__(name):
    raise missing("sandbox", name)
