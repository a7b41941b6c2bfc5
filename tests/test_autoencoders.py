"""The autoencoder family (issue 6): models, noise switch, phases, and every experiment on tiny data."""

import json

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from PIL import Image

from dltutorial.autoencoder_tutorials import (adam_step, autoencoders_one_at_a_time, denoising_autoencoder,
                                              linear_autoencoder_pca, sparse_autoencoder, stacked_autoencoder,
                                              training_phases, unsupervised_pretraining, variational_autoencoder)
from dltutorial.autoencoders import Autoencoder, VariationalAutoencoder, input_noise, kl_divergence
from dltutorial.core.compile import compile_function
from dltutorial.core.data import load_data
from dltutorial.core.random_init import pytensor_stream
from dltutorial.masking_noise import masking_noise_sae
from dltutorial.mlp_adadelta import mlp_adadelta

from dltutorial.core.tiny_data import SIDE

from .bounds import assert_within, gamma


def results(folder):
    return json.loads((folder / "results.json").read_text())


def mean_image_mse(dataset):
    """The test MSE of a model that ignores its input and draws the training set's mean image: what learning beats."""
    (train_x, _), _, (test_x, _) = load_data(str(dataset))
    return float(((test_x.get_value() - train_x.get_value().mean(axis=0)) ** 2).mean())


def test_linear_autoencoder_finds_the_pca_plane(tmp_path):
    record = linear_autoencoder_pca(output_folder=str(tmp_path))
    assert max(record["principal_angles_degrees"]) < 2.0
    assert record["final_mse"] == pytest.approx(record["pca_mse"], rel=0.02)  # PCA's MSE is the optimum
    assert record["costs"][-1] < record["costs"][0] / 10
    assert Image.open(tmp_path / "codings.png").size[0] > 0 and results(tmp_path)["principal_angles_degrees"]


def test_tied_weights_stay_tied(float64):
    rng = numpy.random.RandomState(0)
    data = pytensor.shared(rng.rand(40, 12), shape=(None, 12))
    x = pt.matrix("x")
    ae = Autoencoder(rng, x, sizes=(12, 6, 3), tied=True)
    assert len(ae.weights) == 2 and len(ae.params) == 6  # 2 weight matrices, 4 untied biases
    step = adam_step(ae.mse() + ae.l2(0.001), ae.params, x, data, 10, 0.01)
    costs = [step(i % 4) for i in range(40)]
    assert costs[-1] < costs[0]
    (W1, b1), (W2, b2) = [(layer.W.get_value(), layer.b.get_value()) for layer in ae.encoder]
    b3, b4 = [layer.b.get_value() for layer in ae.decoder]

    def elu(a):
        return numpy.where(a > 0, a, numpy.expm1(a))

    X = data.get_value()
    expected = elu(elu(elu(X @ W1 + b1) @ W2 + b2) @ W2.T + b3) @ W1.T + b4  # decoder = encoder transposed
    numpy.testing.assert_allclose(compile_function([], ae.output, givens={x: data})(), expected, rtol=1e-10)


def test_stacked_autoencoder_learns_and_draws(tiny_idx, tmp_path):
    record = stacked_autoencoder(n_epochs=3, batch_size=20, n_hidden=(20, 10), dataset=str(tiny_idx),
                                 output_folder=str(tmp_path))
    assert record["costs"][-1] < record["costs"][0]
    assert 0 < record["test_mse"] < 0.6 * mean_image_mse(tiny_idx)  # 0.0095 against 0.046 here
    assert Image.open(tmp_path / "reconstructions.png").size == (2 * (10 * (SIDE + 1) - 1), 2 * (2 * (SIDE + 1) - 1))
    assert Image.open(tmp_path / "features.png").size == (10 * (SIDE + 1) - 1,) * 2
    assert results(tmp_path)["test_mse"] == pytest.approx(record["test_mse"])


@pytest.mark.parametrize("noise", ["gaussian", "dropout"])
def test_noise_only_in_training_functions(noise, float64):
    rng = numpy.random.RandomState(0)
    x = pt.matrix("x")
    ae = Autoencoder(rng, x, sizes=(12, 6), noise=noise, noise_level=0.5)
    clean = Autoencoder(rng, x, sizes=(12, 6))
    for layer, clean_layer in zip(ae.encoder, clean.encoder):  # tied: the decoder follows
        clean_layer.W.set_value(layer.W.get_value())
    X = numpy.random.RandomState(1).rand(200, 12)
    training = compile_function([x], ae.output, givens={ae.is_training: numpy.int8(1)})
    testing = compile_function([x], ae.output, givens={ae.is_training: numpy.int8(0)})
    clean_output = compile_function([x], clean.output)(X)
    # two graphs for one forward pass: 12- and 6-term products and an activation per layer, on each side
    rtol = 2 * gamma(2 * (12 + 6) + 4 * 5, "float64")
    assert_within(testing(X), clean_output, rtol * (abs(clean_output) + abs(clean_output).max()), "outputs")
    numpy.testing.assert_array_equal(testing(X), testing(X))
    assert not numpy.allclose(training(X), training(X)) and not numpy.allclose(training(X), testing(X))


@pytest.mark.parametrize("noise, level", [("dropout", 0.25), ("gaussian", 0.3)])
def test_the_noise_has_the_size_asked(noise, level, float64):
    """Dropout zeroes a fraction ``level``, scales the rest by 1 / (1 - level); Gaussian noise deviates by ``level``."""
    x, is_training = pt.matrix("x"), pt.bscalar("is_training")
    noisy = compile_function([x], input_noise(x, noise, level, is_training, pytensor_stream(3)),
                             givens={is_training: numpy.int8(1)})(numpy.full((400, 50), 2.0))
    if noise == "dropout":
        assert set(numpy.unique(noisy)) == {0.0, 2.0 / (1 - level)}
        assert abs((noisy == 0).mean() - level) < 0.01 and abs(noisy.mean() - 2.0) < 0.03
    else:
        assert abs((noisy - 2.0).std() - level) < 0.005 and abs((noisy - 2.0).mean()) < 0.005


def test_denoising_autoencoder_entry_point(tiny_idx, tmp_path):
    record = denoising_autoencoder(noise="dropout", n_epochs=2, dataset=str(tiny_idx), output_folder=str(tmp_path))
    assert record["parameters"]["noise_level"] == 0.3 and record["tutorial"] == "denoising_autoencoder"
    assert record["costs"][-1] < record["costs"][0] and (tmp_path / "reconstructions.png").exists()
    with pytest.raises(ValueError, match=r"^noise='salt' \(--noise\): must be one of '', 'gaussian', 'dropout'$"):
        denoising_autoencoder(noise="salt", dataset=str(tiny_idx), output_folder=str(tmp_path / "salt"))
    assert not (tmp_path / "salt").exists()  # a run that failed before writing anything leaves no folder


def test_phase_two_leaves_the_frozen_layer_alone(float64):
    rng = numpy.random.RandomState(0)
    data = pytensor.shared(rng.rand(40, 12), shape=(None, 12))
    x = pt.matrix("x")
    stack = Autoencoder(rng, x, sizes=(12, 6, 3), tied=False)
    layer1, layer2 = stack.encoder

    def values(layer):
        return [p.get_value().copy() for p in layer.params]

    for cache_codes in (False, True):
        phase1, phase2 = training_phases(stack, x, data, 10, 0.01, 0.001, cache_codes=cache_codes)
        before1, before2 = values(layer1), values(layer2)
        phase1(0)
        assert not numpy.allclose(values(layer1)[0], before1[0])  # phase 1 trains layer 1 ...
        numpy.testing.assert_array_equal(values(layer2)[0], before2[0])  # ... and not layer 2
        after_phase1 = values(layer1)
        costs = [phase2(i % 4) for i in range(8)]
        for frozen, value in zip(after_phase1, values(layer1)):
            numpy.testing.assert_array_equal(value, frozen)  # phase 2: layer 1 frozen
        assert not numpy.allclose(values(layer2)[0], before2[0]) and costs[-1] < costs[0]


def test_one_at_a_time_both_ways_reach_similar_losses(tiny_idx, tmp_path):
    record = autoencoders_one_at_a_time(n_epochs=3, batch_size=20, n_hidden=(20, 10), dataset=str(tiny_idx),
                                        output_folder=str(tmp_path))
    a, b = record["separate_graphs"]["test_mse"], record["one_graph"]["test_mse"]
    baseline = mean_image_mse(tiny_idx)  # 0.046; the two ways reach 0.019 and 0.024 here
    assert 0 < a < 0.6 * baseline and 0 < b < 0.6 * baseline and max(a, b) / min(a, b) < 2
    assert all(costs[-1] < costs[0] for costs in record["separate_graphs"]["costs"] + record["one_graph"]["costs"])


def test_unsupervised_pretraining_reports_three_errors(tiny_idx, tmp_path):
    record = unsupervised_pretraining(n_labels=100, pretraining_epochs=3, training_epochs=10, batch_size=20,
                                      labelled_batch_size=10, n_hidden=(20, 10), dataset=str(tiny_idx),
                                      output_folder=str(tmp_path))
    errors = record["test_errors"]
    assert set(errors) == {"pretrained, frozen", "pretrained, unfrozen", "random init"}
    assert all(0 <= e < 0.5 for e in errors.values())  # chance is 0.9
    assert results(tmp_path)["test_errors"] == errors


def test_kl_sparsity_loss_is_zero_at_the_target(float64):
    q = pt.vector("q")
    kl = kl_divergence(0.1, q)
    value, gradient = compile_function([q], [kl, pt.grad(kl.sum(), q)])(numpy.array([0.1, 0.05, 0.3]))
    # at the target each term is a log of a quotient that rounds to within gamma_3 of 1: within 2 gamma_3 of 0,
    # weighted by 0.1 and 0.9; the gradient's two quotients likewise, each about 1 / 0.09 in size
    assert abs(value[0]) <= 2 * gamma(3, "float64") and (value[1:] > 0).all()
    assert abs(gradient[0]) <= 2 * gamma(3, "float64") / 0.09 and gradient[1] < 0 < gradient[2]


def test_sparse_autoencoder_reaches_its_target_activation(tiny_idx, tmp_path):
    record = sparse_autoencoder(n_hidden=30, n_epochs=10, batch_size=50, dataset=str(tiny_idx),
                                output_folder=str(tmp_path))
    assert abs(record["mean_activation"] - 0.1) < 0.03 and len(record["unit_mean_activations"]) == 30
    assert record["costs"][-1] < record["costs"][0] and (tmp_path / "features.png").exists()


def test_vae_latent_loss_is_zero_for_the_prior(float64):
    x = pt.matrix("x")
    vae = VariationalAutoencoder(numpy.random.RandomState(0), x, sizes=(12, 8, 3))
    for layer in (vae.mean_layer, vae.gamma_layer):  # mean 0 and log sigma^2 = 0: codings ~ N(0, I)
        layer.W.set_value(numpy.zeros_like(layer.W.get_value()))
    latent = compile_function([x], vae.latent_loss)(numpy.random.RandomState(1).rand(5, 12))
    assert latent == pytest.approx(0, abs=1e-12)


def test_vae_losses_are_the_closed_form_kl_and_the_cross_entropy(float64):
    """KL(N(mean, e^gamma) || N(0, I)) and the Bernoulli cross-entropy, per example, from the layers' outputs."""
    x = pt.matrix("x")
    vae = VariationalAutoencoder(numpy.random.RandomState(0), x, sizes=(12, 8, 3))
    images = numpy.random.RandomState(1).rand(5, 12)
    mean, gamma, logits, latent, reconstruction = compile_function(
        [x], [vae.mean_layer.output, vae.gamma_layer.output, vae.logits, vae.latent_loss,
              vae.reconstruction_loss])(images)
    assert (numpy.abs(mean) > 0.01).any() and (numpy.abs(gamma) > 0.01).any()  # not the prior: a real check
    kl = 0.5 * (numpy.exp(gamma) + mean ** 2 - 1 - gamma).sum(axis=1)
    z = 1 / (1 + numpy.exp(-logits))
    cross_entropy = -(images * numpy.log(z) + (1 - images) * numpy.log(1 - z)).sum(axis=1)
    assert latent == pytest.approx(kl.mean(), rel=1e-10)
    assert reconstruction == pytest.approx(cross_entropy.mean(), rel=1e-10)


def test_vae_generates_digits(tiny_idx, tmp_path):
    record = variational_autoencoder(n_epochs=40, batch_size=20, n_digits=12, n_hidden=(20, 20, 4),
                                     dataset=str(tiny_idx), output_folder=str(tmp_path))
    assert record["generated_digits_shape"] == [12, SIDE * SIDE]
    assert 0 <= record["digits_range"][0] <= record["digits_range"][1] <= 1
    assert record["costs"][-1] < record["costs"][0]
    # the codes carry what the images hold: they reconstruct better than the training set's mean image does (27.8
    # against 28.8 nats here), and they are not the prior (a collapsed code's KL divergence is 0; 0.9 here)
    (train_x, _), _, (test_x, _) = load_data(str(tiny_idx))
    mean_image = numpy.clip(train_x.get_value().astype("float64").mean(axis=0), 1e-7, 1 - 1e-7)
    images = test_x.get_value().astype("float64")
    mean_image_loss = -(images * numpy.log(mean_image) + (1 - images) * numpy.log(1 - mean_image)).sum(axis=1).mean()
    assert 0 < record["test_reconstruction_loss"] < mean_image_loss and record["test_latent_loss"] > 0.1
    assert Image.open(tmp_path / "generated_digits.png").size == (2 * (10 * (SIDE + 1) - 1), 2 * (2 * (SIDE + 1) - 1))


def test_masking_noise_experiment(tiny_idx, tmp_path, capsys):
    record = masking_noise_sae(seeds=(0,), n_hidden=(20, 20), batch_size=10, pretraining_epochs=2,
                               finetuning_epochs=3, dataset=str(tiny_idx), output_folder=str(tmp_path))
    by_fraction = {r["masking_fraction"]: r for r in record["results"]}
    assert sorted(by_fraction) == [0.0, 0.5]
    assert all(0 <= r["median_test_error"] < 0.5 for r in record["results"])  # chance is 0.9
    # from the same seed, the noise changes the pretraining: masked inputs are harder to reconstruct
    first_costs = [float(line.rsplit(" ", 1)[1]) for line in capsys.readouterr().out.splitlines()
                   if line.startswith("pretraining layer 0 epoch 0, cost")]
    assert len(first_costs) == 2 and first_costs[1] > first_costs[0]


def test_masking_noise_zeroes_the_fraction_asked(float64):
    x = pt.matrix("x")
    ae = Autoencoder(numpy.random.RandomState(0), x, sizes=(50, 5), noise="masking", noise_level=0.5)
    corrupted = ae.encoder[0].input
    X = numpy.ones((100, 50))
    out = compile_function([x], corrupted, givens={ae.is_training: numpy.int8(1)})(X)
    assert set(numpy.unique(out)) == {0.0, 1.0} and abs((out == 0).mean() - 0.5) < 0.03


def test_mlp_adadelta_learns(tiny_idx, tmp_path):
    record = mlp_adadelta(n_epochs=4, batch_size=20, n_hiddens=(30, 30), dataset=str(tiny_idx),
                          output_folder=str(tmp_path))
    assert record["test_errors"][-1] < min(0.8, record["test_errors"][0])
    assert len(record["validation_errors"]) == 4 and (tmp_path / "errors.png").exists()
