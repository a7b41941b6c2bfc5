"""MRG31k3p: the numpy reference against L'Ecuyer's own generator, every mode against the reference."""

import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from dltutorial.core.compile import compile_function
from dltutorial.core.modes import available_modes
from dltutorial.core.rng_mrg import (M1, NORM, STREAM_JUMP, MRG_RandomStreams, MRGUniform, jump, substream_states,
                                     uniform_reference)

from .bounds import assert_within, gamma

# Draws of L'Ecuyer et al.'s Java MRG31k3p (SSJ) from the seed [12345] * 6, as Theano's
# test suite records them (theano/sandbox/samples_MRG31k3p_12_7_5.txt):
# (stream, substream) -> its first draws
JAVA_DRAWS = {
    (0, 0): [0.7353244530968368, 0.6142074400559068, 0.11007806099951267, 0.6487741703167558, 0.36619443260133266],
    (0, 1): [0.2585685825906694, 0.9489980279468, 0.4309556516818702],
    (0, 6): [0.5435514179989696, 0.330895590595901],
    (1, 0): [0.5180770065635443, 0.2319392478093505],
    (11, 6): [0.8762755445204675, 0.8020628895610571, 0.1663151141256094, 0.31246642768383026, 0.18852565623819828],
}


def stream_start(stream):
    state = [12345] * 6
    for _ in range(stream):
        state = jump(state, STREAM_JUMP)
    return state


@pytest.mark.parametrize("stream, substream", list(JAVA_DRAWS))
def test_reference_draws_what_lecuyers_generator_draws(stream, substream):
    states = substream_states(stream_start(stream), substream + 1)[substream:]
    draws = []
    for _ in JAVA_DRAWS[stream, substream]:
        states, draw = uniform_reference(states, (1,), "float64")
        draws.append(draw[0])
    numpy.testing.assert_array_equal(draws, JAVA_DRAWS[stream, substream])


def test_float32_draws_stay_below_one():
    # the largest integer a draw scales is M1: Theano chose the float32 scale so that it stays below 1
    assert numpy.float32(M1) * NORM["float32"] < 1 <= numpy.float32(M1) * numpy.float32(2.0 ** -31)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", available_modes())
def test_every_mode_draws_the_references_numbers(mode, dtype):
    """Two calls (the streams advance), more elements than streams (a stream draws twice), sizes known or not."""
    states = substream_states([1234, 5, 6, 7, 8, 9], 7)
    x = pt.matrix("x", shape=(3, 5))
    shared = pytensor.shared(states)
    new_states, draws = MRGUniform(dtype)(shared, x.shape)
    f = compile_function([x], [draws, draws.sum()], updates=[(shared, new_states)], mode=mode)
    expected = states
    for _ in range(2):
        expected, wanted = uniform_reference(expected, (3, 5), dtype)
        got, _ = f(numpy.zeros((3, 5), dtype=pytensor.config.floatX))
        assert got.dtype == dtype
        numpy.testing.assert_array_equal(got, wanted)
    numpy.testing.assert_array_equal(shared.get_value(), expected)


@pytest.mark.parametrize("mode", available_modes())
def test_streams_object_draws_theanos_sequence_in_every_mode(mode):
    """A draw's substreams start where Theano's do, and each call moves the stream on by 2^134."""
    rng = MRG_RandomStreams(42)
    u = rng.uniform(size=(4, 3), dtype="float64")  # 12 elements: 2 streams
    v = rng.uniform(size=(2,), low=-1.0, high=1.0, dtype="float64")  # 2 elements: 2 streams
    f = compile_function([], [u, v], mode=mode)
    got_u, got_v = f()
    _, wanted_u = uniform_reference(substream_states([42] * 6, 2), (4, 3), "float64")
    _, wanted_v = uniform_reference(substream_states(jump([42] * 6, STREAM_JUMP), 2), (2,), "float64")
    numpy.testing.assert_array_equal(got_u, wanted_u)
    # low + (high - low) u: the product by 2 is exact, the sum rounds once on each side
    assert_within(got_v, wanted_v * 2 - 1, 2 * gamma(1, "float64") * (1 + 2 * wanted_v), "uniform(-1, 1)")
    again_u, _ = f()
    assert not numpy.allclose(again_u, got_u)  # the states advanced
    rng.seed()
    numpy.testing.assert_array_equal(f()[0], got_u)  # and start over when reseeded


def test_binomial_and_normal_have_their_moments():
    rng = MRG_RandomStreams(7)
    x = pt.matrix("x")
    coin = rng.binomial(size=x.shape, p=0.3, dtype="float64")
    gauss = rng.normal(size=(301, 7), avg=2.0, std=3.0, dtype="float64")  # an odd count: one draw dropped
    ones, normals = compile_function([x], [coin, gauss], mode="c")(numpy.zeros((500, 40)))
    assert set(numpy.unique(ones)) == {0.0, 1.0} and abs(ones.mean() - 0.3) < 0.01
    assert normals.shape == (301, 7)
    assert abs(normals.mean() - 2.0) < 0.1 and abs(normals.std() - 3.0) < 0.1


def test_the_c_mode_advances_the_streams_in_place():
    rng = MRG_RandomStreams(3)
    f = compile_function([], rng.uniform(size=(5,)), mode="c")
    ops = [node.op for node in f.fn.maker.fgraph.toposort() if isinstance(node.op, MRGUniform)]
    assert len(ops) == 1 and ops[0].inplace


@pytest.mark.parametrize("seed, message", [(0, "1..2147462578"), (2 ** 31, "1..2147462578"),
                                           ([0, 0, 0, 1, 1, 1], "neither three all 0"),
                                           ([1, 1, M1, 1, 1, 1], "three in 0..2147483646")])
def test_bad_seeds_are_refused(seed, message):
    with pytest.raises(ValueError, match=message):
        MRG_RandomStreams(seed)
