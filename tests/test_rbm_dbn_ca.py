"""RBM, DBN and contractive autoencoder: exact quantities on tiny models, learning on tiny data."""

import itertools
import json
import re

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from PIL import Image

from dltutorial import DBN as dbn_tutorial
from dltutorial import cA as ca_tutorial
from dltutorial import rbm as rbm_tutorial
from dltutorial.cA import cA
from dltutorial.core.compile import compile_function
from dltutorial.core.data import load_data
from dltutorial.core.modes import compile_mode
from dltutorial.core.random_init import random_stream
from dltutorial.rbm import RBM
from dltutorial.core.minibatches import minibatch_givens

from dltutorial.core.tiny_data import SIDE

from .bounds import assert_within, gamma, trajectory_rtol


@pytest.fixture(autouse=True)
def float64():
    with pytensor.config.change_flags(floatX="float64"):
        yield


def tiny_rbm(n_visible, n_hidden, seed=0, scale=1.0, **kwargs):
    rng = numpy.random.RandomState(seed)
    W = pytensor.shared(scale * rng.randn(n_visible, n_hidden), name="W")
    hbias = pytensor.shared(rng.randn(n_hidden), name="hbias")
    vbias = pytensor.shared(rng.randn(n_visible), name="vbias")
    return RBM(n_visible=n_visible, n_hidden=n_hidden, W=W, hbias=hbias, vbias=vbias, numpy_rng=rng, **kwargs)


def test_free_energy_matches_brute_force_sum_over_hidden_states():
    """F(v) = -log sum_h exp(-E(v, h)), E(v, h) = -b'v - c'h - v'Wh, for every v of a 4x3 RBM."""
    rbm = tiny_rbm(4, 3)
    W, c, b = (p.get_value() for p in rbm.params)
    vs = numpy.array(list(itertools.product([0, 1], repeat=4)), dtype="float64")
    hs = numpy.array(list(itertools.product([0, 1], repeat=3)), dtype="float64")
    energies = -(vs @ b)[:, None] - (hs @ c)[None, :] - vs @ W @ hs.T
    expected = -numpy.log(numpy.exp(-energies).sum(axis=1))
    v = pt.matrix("v")
    # two formulas for one value: each a chain of products (at most 4 + 3 terms), exp and log (5 ulp each) and an
    # 8-term sum, relative to the energies that cancel
    error = 2 * gamma(4 + 3 + 2 * 5 + 8, "float64") * (abs(energies).max() + abs(expected))
    assert_within(compile_function([v], rbm.free_energy(v))(vs), expected, error, "free energies")


def test_conditionals_are_the_sigmoids_of_the_energy():
    """p(h_j=1|v) from the brute-force joint equals propup's mean (and propdown likewise)."""
    rbm = tiny_rbm(3, 2, seed=1)
    W, c, b = (p.get_value() for p in rbm.params)
    v = numpy.array([[1.0, 0.0, 1.0]])
    hs = numpy.array(list(itertools.product([0, 1], repeat=2)), dtype="float64")
    weights = numpy.exp(hs @ c + (v @ W @ hs.T)[0])
    p_h1 = (weights[:, None] * hs).sum(axis=0) / weights.sum()
    x = pt.matrix("x")
    # probabilities through a 3-term product, exp (5 ulp), a 4-term sum and a division, on each side
    rtol = 2 * gamma(3 + 5 + 4 + 2, "float64")
    assert_within(compile_function([x], rbm.propup(x)[1])(v)[0], p_h1, rtol * p_h1, "p(h=1|v)")
    h = numpy.array([[1.0, 0.0]])
    expected_v = 1 / (1 + numpy.exp(-(h @ W.T + b)))
    assert_within(compile_function([x], rbm.propdown(x)[1])(h), expected_v, rtol * expected_v, "p(v=1|h)")


def binary_data(n=200, n_visible=16, seed=0):
    """Two prototypes with 5 % of bits flipped: a distribution an RBM can learn quickly."""
    rng = numpy.random.RandomState(seed)
    prototypes = rng.rand(2, n_visible) > 0.5
    data = prototypes[rng.randint(0, 2, n)] ^ (rng.rand(n, n_visible) < 0.05)
    return pytensor.shared(data.astype("float64"))


def test_cd1_raises_the_reconstruction_log_likelihood():
    data = binary_data()
    index, x = pt.lscalar("index"), pt.matrix("x")
    rng = numpy.random.RandomState(123)
    rbm = RBM(input=x, n_visible=16, n_hidden=8, numpy_rng=rng, theano_rng=random_stream(rng.randint(2 ** 30)))
    cost, updates = rbm.get_cost_updates(lr=0.1, k=1)
    train = compile_function([index], cost, updates=updates, givens=minibatch_givens(index, 10, (x, data)))
    epochs = [numpy.mean([train(i) for i in range(20)]) for _ in range(15)]
    # the monitoring cost of CD is the mean log-likelihood of the reconstructions (negative)
    assert epochs[-1] < 0 and epochs[-1] > epochs[0] + 3, epochs


def test_the_persistent_chain_is_carried_across_calls():
    """With lr=0 and saturated units the Gibbs step is a known function f; two calls give f(f(h0)).

    Visible pre-activations are 20 + a multiple of 40 (never near 0), hidden
    ones likewise, so each unit is on or off with probability 1 - 2e-9.
    """
    n_visible, n_hidden, batch = 6, 4, 3
    rng = numpy.random.RandomState(5)
    W = 40.0 * rng.choice([-1.0, 1.0], size=(n_visible, n_hidden))
    x = pt.matrix("x")
    rbm = RBM(input=x, n_visible=n_visible, n_hidden=n_hidden, W=pytensor.shared(W),
              hbias=pytensor.shared(numpy.full(n_hidden, 20.0)), vbias=pytensor.shared(numpy.full(n_visible, 20.0)),
              numpy_rng=rng)
    h0 = (rng.rand(batch, n_hidden) > 0.5).astype("float64")
    persistent = pytensor.shared(h0.copy())
    cost, updates = rbm.get_cost_updates(lr=0.0, persistent=persistent, k=1)
    step = compile_function([x], cost, updates=updates)

    def gibbs(h):
        v = (h @ W.T + 20 > 0).astype("float64")
        return (v @ W + 20 > 0).astype("float64")

    data = numpy.zeros((batch, n_visible))  # the data do not enter the negative phase of PCD
    step(data)
    numpy.testing.assert_array_equal(persistent.get_value(), gibbs(h0))
    step(data)
    numpy.testing.assert_array_equal(persistent.get_value(), gibbs(gibbs(h0)))
    # CD would have started from the data's hidden state (all ones here) and ended elsewhere
    assert not numpy.array_equal(gibbs(h0), gibbs(numpy.ones_like(h0)))


def test_pseudo_likelihood_cycles_through_the_visible_bits():
    x = pt.matrix("x")
    rbm = tiny_rbm(5, 3, input=x)
    cost, updates = rbm.get_cost_updates(lr=0.0, persistent=pytensor.shared(numpy.zeros((2, 3))), k=1)
    bit = next(var for var in updates if var.name == "bit_i_idx")
    step = compile_function([x], cost, updates=updates)
    data = numpy.array([[1.0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    W, c, b = (p.get_value() for p in rbm.params)

    def free_energy(v):
        return -(v @ b) - numpy.log1p(numpy.exp(v @ W + c)).sum(axis=1)

    for i in range(7):
        assert bit.get_value() == i % 5
        flipped = data.copy()
        flipped[:, i % 5] = 1 - flipped[:, i % 5]
        difference = free_energy(flipped) - free_energy(data)
        expected = numpy.mean(5 * numpy.log(1 / (1 + numpy.exp(-difference))))
        # two free energies (5-term products, a softplus each, 8 terms) whose difference is taken: relative to them
        scale = abs(free_energy(data)).max() + abs(free_energy(flipped)).max() + abs(expected)
        assert_within(step(data), expected, 2 * gamma(5 + 3 * 5 + 8 + 5 + 2, "float64") * 5 * scale, "cost")


def test_cA_jacobian_matches_finite_differences():
    rng = numpy.random.RandomState(3)
    x = pt.matrix("x")
    ca = cA(numpy_rng=rng, input=x, n_visible=5, n_hidden=4, n_batchsize=2)
    ca.b.set_value(rng.randn(4))
    jacobian = compile_function([x], ca.get_jacobian(ca.get_hidden_values(x), ca.W))
    hidden = compile_function([x], ca.get_hidden_values(x))
    inputs = rng.rand(2, 5)
    eps = 1e-6
    numeric = numpy.empty((2, 5, 4))
    for i in range(5):
        step = numpy.zeros_like(inputs)
        step[:, i] = eps
        numeric[:, i, :] = (hidden(inputs + step) - hidden(inputs - step)) / (2 * eps)
    # central differences: rounding (each hidden value within gamma_10 of exact, divided by 2 eps; x +- eps rounded,
    # which changes the step) and truncation (eps^2 / 6 times the third derivative of sigmoid(x W + b) along x_i: at
    # most W_ij^3 / 8)
    W = ca.W.get_value()
    rounding = 2 * gamma(5 + 5, "float64") / (2 * eps) + abs(numeric) * gamma(2, "float64") / eps
    truncation = eps ** 2 / 6 * abs(W[None]) ** 3 / 8
    assert_within(jacobian(inputs), numeric, rounding + truncation, "jacobian")


def test_cA_cost_gradient_is_checked_numerically():
    rng = numpy.random.RandomState(4)
    inputs = rng.rand(3, 5)

    def cost(W, b, b_prime):
        ca = cA(numpy_rng=rng, input=pytensor.shared(inputs), n_visible=5, n_hidden=4, n_batchsize=3)
        ca.W, ca.b, ca.b_prime, ca.W_prime = W, b, b_prime, W.T
        ca.params = [W, b, b_prime]
        return ca.get_cost_updates(contraction_level=0.5, learning_rate=0.1)[0]

    pytensor.gradient.verify_grad(cost, [0.3 * rng.randn(5, 4), rng.randn(4), rng.randn(5)],
                                  rng=numpy.random.default_rng(0), mode=compile_mode())


def test_cA_contraction_shrinks_the_jacobian(tiny_idx, tmp_path):
    """Without contraction the reconstruction improves; with it the Jacobian's norm shrinks."""
    runs = {level: ca_tutorial.test_cA(learning_rate=0.05, training_epochs=3, dataset=str(tiny_idx), batch_size=10,
                                       contraction_level=level, output_folder=str(tmp_path / f"cA{level}"),
                                       floatX="float64")
            for level in (0.0, 1.0)}
    assert runs[0.0]["reconstruction_costs"][-1] < 0.95 * runs[0.0]["reconstruction_costs"][0]
    norms = runs[1.0]["jacobian_norms"]
    assert norms[2] < norms[1] < norms[0] and norms[-1] < 0.7 * runs[0.0]["jacobian_norms"][-1]
    assert Image.open(tmp_path / "cA1.0" / "cae_filters.png").size == (10 * (SIDE + 1) - 1,) * 2


def test_rbm_tutorial_writes_filters_samples_and_costs(tiny_idx, tmp_path, capsys):
    record = rbm_tutorial.test_rbm(training_epochs=2, dataset=str(tiny_idx), n_hidden=20, n_chains=5, n_samples=3,
                      output_folder=str(tmp_path), plot_every=20, floatX="float64")
    out = capsys.readouterr().out
    assert "Training epoch 1, cost is " in out and " ... plotting sample 2\n" in out
    assert all(numpy.isfinite(record["epoch_costs"])) and len(record["epoch_costs"]) == 2
    for epoch in (0, 1):
        assert (tmp_path / f"filters_at_epoch_{epoch}.png").exists()
    samples = numpy.asarray(Image.open(tmp_path / "samples.png"))
    assert samples.shape == ((SIDE + 1) * 3 + 1, (SIDE + 1) * 5 - 1)
    assert samples.std() > 10  # digit-like pictures, not a blank image
    assert json.loads((tmp_path / "results.json").read_text())["epoch_costs"] == record["epoch_costs"]


def test_a_tiny_dbn_learns(tiny_idx, tmp_path, capsys):
    record = dbn_tutorial.test_DBN(pretraining_epochs=2, training_epochs=15, dataset=str(tiny_idx),
                      hidden_layers_sizes=[30, 30], output_folder=str(tmp_path), floatX="float64")
    out = capsys.readouterr().out
    assert "Optimization complete with best validation" in out
    # the original printed the cost with a second print: two spaces, then the full float
    assert re.search(r"^Pre-training layer 1, epoch 1, cost  -?\d+\.\d{7,}$", out, re.MULTILINE)
    costs = record["pretraining_costs"]
    assert len(costs) == 2 and all(layer[-1] > layer[0] for layer in costs)  # reconstruction log-likelihoods rise
    assert record["test_error"] <= 0.05
    assert (tmp_path / "filters_layer0.png").exists() and (tmp_path / "finetuning_curves.png").exists()


def test_dbn_cached_codes_give_the_same_pretraining_costs(tiny_idx):
    def costs(cache_codes):
        train_x = load_data(str(tiny_idx))[0][0]
        dbn = dbn_tutorial.DBN(numpy.random.RandomState(123), n_ins=SIDE * SIDE, hidden_layers_sizes=[12, 10])
        fns = dbn.pretraining_functions(train_x, batch_size=10, k=1, cache_codes=cache_codes)
        return [[fn(i, lr=0.1) for i in range(5)] for fn in fns]

    # two graphs for one computation: five CD-1 steps of each layer, the second on the first's codes
    rtol = trajectory_rtol(5, (10, SIDE * SIDE, 12, 10), "float64")
    cached, uncached = numpy.asarray(costs(True)), numpy.asarray(costs(False))
    assert_within(cached, uncached, rtol * abs(uncached), "pretraining costs")
