"""``theano.sandbox.rng_mrg.MRG_RandomStreams``: dltutorial's implementation, Theano's draws."""

from ...core.rng_mrg import MRG_RandomStreams  # noqa: F401
from .._missing import missing


def __getattr__(name):
    raise missing("sandbox.rng_mrg", name)
