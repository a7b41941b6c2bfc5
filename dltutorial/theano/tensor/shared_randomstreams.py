"""``theano.tensor.shared_randomstreams.RandomStreams``: Theano's random streams on PyTensor's generators.

As in Theano, every draw has its own generator, a shared variable: the draw's
``.rng``, with ``.update`` the pair ``(rng, next state)`` that is its default
update (a compiled function moves the generator on at every call, unless it is
compiled with ``no_default_updates``).  ``streams.state_updates`` lists those
pairs and ``streams.seed(n)`` reseeds every generator made so far.  The
generators are numpy's PCG64, not Theano's MT19937: the same distributions,
other numbers.  A generator's value reads as a numpy ``Generator`` that also
has the ``seed``, ``get_state`` and ``set_state`` Theano code called on the
``RandomState`` it got (:class:`SeedableGenerator`).
"""

import warnings

import numpy
import pytensor.tensor as pt
from pytensor.tensor.random.type import random_generator_type
from pytensor.tensor.random.variable import RandomGeneratorSharedVariable

from .._missing import missing


class SeedableGenerator(numpy.random.Generator):
    """A numpy Generator with RandomState's ``seed``, ``get_state`` and ``set_state``, on the same bit generator.

    ``get_state`` gives the bit generator's state (a dict, where RandomState gave a tuple) and ``set_state`` takes
    it back, so that a state saved from ``rng.get_value()`` restores the stream.
    """

    def seed(self, seed=None):
        self.bit_generator.state = type(self.bit_generator)(seed).state

    def get_state(self):
        return self.bit_generator.state

    def set_state(self, state):
        self.bit_generator.state = state


class GeneratorSharedVariable(RandomGeneratorSharedVariable):
    """A draw's generator (``rv.rng``): ``get_value`` gives a :class:`SeedableGenerator`.

    With ``borrow=True`` it shares the stored generator's state, so seeding it
    or setting its state moves the stream itself, as borrowing Theano's
    RandomState did; without, it is a copy.
    """

    def get_value(self, borrow=False, return_internal_type=False):
        generator = super().get_value(borrow=borrow, return_internal_type=return_internal_type)
        return SeedableGenerator(generator.bit_generator)


def with_default_update(variable, update):
    """Give ``variable`` the default ``update`` that Theano's streams gave (PyTensor 3 deprecates setting one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        variable.default_update = update


class RandomStreams:
    """``RandomStreams(seed)``: ``uniform``, ``normal``, ``binomial``, ``random_integers``, ``choice`` and
    ``multinomial``, each draw from a generator of its own seeded from ``seed``, as Theano's."""

    def __init__(self, seed=None):
        self.state_updates = []
        self.default_instance_seed = seed
        self.gen_seedgen = numpy.random.RandomState(seed)

    def seed(self, seed=None):
        """Reseed every generator made so far (and those to come) from ``seed``, default the constructor's."""
        self.gen_seedgen = numpy.random.RandomState(self.default_instance_seed if seed is None else seed)
        for rng, _ in self.state_updates:
            rng.set_value(numpy.random.default_rng(self.gen_seedgen.randint(2 ** 30)), borrow=True)

    def updates(self):
        return list(self.state_updates)

    def _draw(self, distribution, *parameters, size, dtype=None, **keywords):
        """A draw from a new generator, cast to ``dtype``: Theano drew integers straight into float masks
        (``binomial(..., dtype=floatX)``)."""
        rng = GeneratorSharedVariable(type=random_generator_type, strict=False,
                                      value=numpy.random.default_rng(self.gen_seedgen.randint(2 ** 30)))
        next_rng, draw = getattr(pt.random, distribution)(*parameters, size=size, rng=rng, return_next_rng=True,
                                                          **keywords)
        with_default_update(rng, next_rng)
        self.state_updates.append((rng, next_rng))
        draw = draw if dtype is None or dtype == draw.dtype else pt.cast(draw, dtype)
        draw.rng, draw.update = rng, (rng, next_rng)
        return draw

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        return self._draw("uniform", low, high, size=size, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        return self._draw("normal", avg, std, size=size, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        return self._draw("binomial", n, p if prob is None else prob, size=size, dtype=dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers from ``low`` to ``high``, both included (Theano's bounds; numpy's ``integers`` excludes high)."""
        return self._draw("integers", low, high + 1, size=size, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        return self._draw("choice", a, size=size, replace=replace, p=p, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        return self._draw("multinomial", n, pvals, size=size, dtype=dtype)

    def __getattr__(self, name):
        raise missing("tensor.shared_randomstreams.RandomStreams", name)


def __getattr__(name):
    raise missing("tensor.shared_randomstreams", name)
