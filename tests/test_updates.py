"""The update rules minimise a quadratic; Adam's first steps equal a hand computation."""

import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from dltutorial.core import updates as rules
from dltutorial.core.compile import compile_function

from .bounds import assert_within, gamma

TARGET = numpy.array([1.0, -2.0, 0.5])
CURVATURE = numpy.array([1.0, 4.0, 0.25])  # an ill-conditioned bowl


def quadratic(dtype):
    p = pytensor.shared(numpy.zeros(3, dtype=dtype), name="p")
    cost = 0.5 * pt.sum(CURVATURE.astype(dtype) * (p - TARGET.astype(dtype)) ** 2)
    return p, cost


# rule, its hyper-parameters, steps: each brings p from 0 to within 1e-2 of the minimum
SETTINGS = [
    (rules.sgd, {"lr": 0.2}, 200),
    (rules.momentum, {"lr": 0.05, "momentum": 0.9}, 300),
    (rules.adagrad, {"lr": 0.5}, 500),
    (rules.adadelta, {"lr": 1.0, "rho": 0.95, "epsilon": 1e-5}, 2000),
    (rules.rmsprop, {"lr": 0.01}, 1000),
    (rules.adam, {"lr": 0.05}, 1000),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rule, hyper, steps", SETTINGS, ids=[s[0].__name__ for s in SETTINGS])
def test_each_rule_reaches_the_minimum_of_a_quadratic(rule, hyper, steps, dtype):
    with pytensor.config.change_flags(floatX=dtype):
        p, cost = quadratic(dtype)
        step = compile_function([], cost, updates=rule(cost, [p], **hyper))
        first = float(step())
        for _ in range(steps):
            last = float(step())
    assert p.get_value().dtype == dtype
    assert last < 1e-3 * first
    numpy.testing.assert_allclose(p.get_value(), TARGET, atol=1e-2)


def test_adam_first_three_steps_match_a_hand_computation():
    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    with pytensor.config.change_flags(floatX="float64"):
        p, cost = quadratic("float64")
        step = compile_function([], cost, updates=rules.adam(cost, [p], lr=lr, beta1=beta1, beta2=beta2, epsilon=eps))
        expected, m, v = numpy.zeros(3), numpy.zeros(3), numpy.zeros(3)
        for t in (1, 2, 3):
            g = CURVATURE * (expected - TARGET)
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g ** 2
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            expected = expected - lr * m_hat / (numpy.sqrt(v_hat) + eps)
            step()
            # each step a dozen roundings (moments, corrections, square root, quotient), carried over t steps
            assert_within(p.get_value(), expected, gamma(12 * t, "float64") * (abs(expected) + lr * t), "parameters")


def test_adam_first_step_is_lr_in_every_coordinate():
    """Whatever the size of each coordinate's gradient, Adam's first step is lr."""
    with pytensor.config.change_flags(floatX="float64"):
        p, cost = quadratic("float64")
        compile_function([], cost, updates=rules.adam(cost, [p], lr=0.1))()
    # |step| = lr |g| / (|g| + eps): within lr eps / |g| of lr, |g| being at least the smallest curvature's pull
    g = abs(CURVATURE * TARGET)
    assert_within(numpy.abs(p.get_value()), numpy.full(3, 0.1), 0.1 * 1e-8 / g + gamma(12, "float64") * 0.1, "step")


def test_adadelta_state_lives_in_shared_variables_of_the_parameter_shape():
    W = pytensor.shared(numpy.ones((4, 3)), name="W")
    updates = rules.adadelta(pt.sum(W ** 2), [W], lr=0.1, rho=0.95, epsilon=1e-5)
    state = [var for var, _ in updates if var is not W]
    assert len(state) == 2 and all(var.get_value().shape == (4, 3) for var in state)


def by_hand(rule, hyper, p, g, state):
    """One step of ``rule`` in numpy, written from its docstring: the new p; ``state`` updated in place."""
    if rule is rules.momentum:
        state["v"] = hyper["momentum"] * state.get("v", 0) - hyper["lr"] * g
        return p + state["v"]
    if rule is rules.adagrad:
        state["acc"] = state.get("acc", 0) + g ** 2
        return p - hyper["lr"] * g / numpy.sqrt(state["acc"] + hyper["epsilon"])
    if rule is rules.rmsprop:
        state["acc"] = hyper["rho"] * state.get("acc", 0) + (1 - hyper["rho"]) * g ** 2
        return p - hyper["lr"] * g / numpy.sqrt(state["acc"] + hyper["epsilon"])
    if rule is rules.adadelta:
        rho, eps = hyper["rho"], hyper["epsilon"]
        state["acc"] = rho * state.get("acc", 0) + (1 - rho) * g ** 2
        step = g * numpy.sqrt(state.get("delta", 0) + eps) / numpy.sqrt(state["acc"] + eps)
        state["delta"] = rho * state.get("delta", 0) + (1 - rho) * step ** 2
        return p - hyper["lr"] * step
    raise ValueError(rule)


HAND = [(rules.momentum, {"lr": 0.05, "momentum": 0.9}), (rules.adagrad, {"lr": 0.5, "epsilon": 1e-6}),
        (rules.rmsprop, {"lr": 0.01, "rho": 0.9, "epsilon": 1e-6}),
        (rules.adadelta, {"lr": 1.0, "rho": 0.95, "epsilon": 1e-5})]


@pytest.mark.parametrize("rule, hyper", HAND, ids=[r.__name__ for r, _ in HAND])
def test_first_four_steps_match_a_hand_computation(rule, hyper):
    with pytensor.config.change_flags(floatX="float64"):
        p, cost = quadratic("float64")
        step = compile_function([], cost, updates=rule(cost, [p], **hyper))
        expected, state = numpy.zeros(3), {}
        for t in range(1, 5):
            expected = by_hand(rule, hyper, expected, CURVATURE * (expected - TARGET), state)
            step()
            # each step a dozen roundings, carried over t steps; relative to the parameters and the steps' sizes
            assert_within(p.get_value(), expected, gamma(12 * t, "float64") * (abs(expected) + abs(TARGET)), "p")
