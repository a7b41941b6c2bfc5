"""``theano.sandbox.rng_mrg.MRG_RandomStreams``: dltutorial's MRG31k3p streams (Theano's draws) with Theano's
bookkeeping.

A draw's state is a shared int32 matrix (one row of six integers per
substream): the draw's ``.rstate`` as Theano named it (``.rng`` too, the name
``RandomStreams`` draws have, so that code switching between the two runs),
with ``.update`` its default update.  ``state_updates`` holds Theano's
``(state, next state)`` pairs and ``rstate`` the stream's own six integers,
which Theano's "copying random state" example assigns from one stream to
another.
"""

from ...core.rng_mrg import MRG_RandomStreams as _Streams
from .._missing import missing


class MRG_RandomStreams:  # noqa: N801 (Theano's class name)
    """``MRG_RandomStreams(seed)``: ``uniform``, ``binomial`` and ``normal`` as Theano drew them; the rest of
    dltutorial's streams (``set_rstate``, ``inc_rstate``, ``get_substream_rstates`` ...) under Theano's names."""

    def __init__(self, seed=12345):
        self.streams = _Streams(seed)

    @property
    def rstate(self):
        return self.streams.rstate

    @rstate.setter
    def rstate(self, state):
        self.streams.rstate = list(state)

    @property
    def state_updates(self):
        return [(states, new_states) for states, new_states, _ in self.streams.state_updates]

    def _marked(self, draw):
        """``draw`` with the state it was drawn from, the last one the streams made."""
        states, new_states, _ = self.streams.state_updates[-1]
        draw.rstate = draw.rng = states
        draw.update = (states, new_states)
        return draw

    def uniform(self, *args, **kwargs):
        return self._marked(self.streams.uniform(*args, **kwargs))

    def binomial(self, *args, **kwargs):
        return self._marked(self.streams.binomial(*args, **kwargs))

    def normal(self, *args, **kwargs):
        return self._marked(self.streams.normal(*args, **kwargs))

    def __getattr__(self, name):
        if name != "streams" and hasattr(self.streams, name):
            return getattr(self.streams, name)
        raise missing("sandbox.rng_mrg.MRG_RandomStreams", name)


def __getattr__(name):
    raise missing("sandbox.rng_mrg", name)
