"""The autoencoder chapter's experiments (reference text 004), each an entry function.

Every function trains with the tutorial's idiom (the data in shared
variables, ``givens`` minibatches, one compiled Adam step per minibatch, the
shared :func:`~dltutorial.core.training.train_epochs` loop) and writes its
figures and a ``results.json`` into a run folder ``runs/<name>-<time>/``:

=================================  ==============================================================
``linear_autoencoder_pca``         3-D -> 2-D linear autoencoder; its subspace against PCA's
``stacked_autoencoder``            784-300-150-300-784, ELU, He init, L2, tied weights; pictures
``denoising_autoencoder``          the same with Gaussian or dropout noise on the input
``autoencoders_one_at_a_time``     layer-wise training: separate graphs vs one graph with phases
``unsupervised_pretraining``       a pretrained encoder under a softmax, on 500 labels
``sparse_autoencoder``             sigmoid codings, KL sparsity loss
``variational_autoencoder``        784-500-500-20 VAE; 60 generated digits
=================================  ==============================================================
"""

import numpy
import pytensor
import pytensor.tensor as pt
import scipy.linalg

from .autoencoders import Autoencoder, VariationalAutoencoder, glorot_uniform, he_normal, kl_divergence, l2_penalty
from .core.compile import compile_function
from .core.data import load_mnist, shared_dataset
from .core.errors import ArgumentError
from .core.minibatches import minibatch_givens, n_batches
from .core.nnet import elu
from .core.plots import save_curves, save_filters, save_image, save_scatter
from .core.runs import Run
from .core.steps import adam_step, empty_codes, evaluate, with_cached_codes
from .core.training import train_epochs
from .core.updates import adam
from .logistic_sgd import LogisticRegression
from .mlp import HiddenLayer
from .utils import tile_raster_images


def fit(step, data_x, batch_size, n_epochs, what, checkpoint=None):
    """Run ``step`` over every minibatch of ``data_x`` for ``n_epochs``; return the mean cost of each epoch."""
    return train_epochs(step, n_batches(data_x, batch_size), n_epochs, line=what + " epoch {epoch}, cost {cost:f}",
                        checkpoint=checkpoint)


def mnist_images(dataset):
    """MNIST's training and test images in shared variables (the labels are not used)."""
    (train_x, _), _, (test_x, _) = [shared_dataset(pair) for pair in load_mnist(dataset)]
    return train_x, test_x


def save_reconstructions(originals, reconstructions, path, n=10):
    """The first ``n`` originals (top row) above their reconstructions (bottom row), as a PNG."""
    side = int(round(numpy.sqrt(originals.shape[1])))
    pairs = numpy.concatenate([originals[:n], numpy.clip(reconstructions[:n], 0, 1)])
    save_image(tile_raster_images(pairs, (side, side), (2, n), (1, 1), scale_rows_to_unit_interval=False), path,
               scale=2)


def plane_data(rng, n_points=200, noise=0.1):
    """A 3-D point cloud near a tilted plane (most of its variance in two directions), standardised."""
    angles = rng.rand(n_points) * 3 * numpy.pi / 2 - 0.5
    data = numpy.empty((n_points, 3))
    data[:, 0] = numpy.cos(angles) + numpy.sin(angles) / 2 + noise * rng.randn(n_points) / 2
    data[:, 1] = numpy.sin(angles) * 0.7 + noise * rng.randn(n_points) / 2
    data[:, 2] = data[:, 0] * 0.1 + data[:, 1] * 0.3 + noise * rng.randn(n_points)
    return (data - data.mean(axis=0)) / data.std(axis=0)


def linear_autoencoder_pca(n_iterations=1000, learning_rate=0.01, n_points=200, seed=42, *, output_folder=None,
                           mode=None, floatX="float32"):
    """A linear 3-2-3 autoencoder trained on MSE finds PCA's plane: report the principal angles.

    The reconstructions lie in the plane spanned by the decoder's rows;
    :func:`scipy.linalg.subspace_angles` measures it against the plane of
    the two leading principal components (0 degrees: the same plane).
    """
    with Run("linear_autoencoder_pca", dict(n_iterations=n_iterations, learning_rate=learning_rate, n_points=n_points,
                                            seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        record, folder = run.record, run.folder
        rng = numpy.random.RandomState(seed)
        data = pytensor.shared(plane_data(rng, n_points).astype(pytensor.config.floatX), name="data")
        x = pt.matrix("x")
        ae = Autoencoder(rng, x, sizes=(3, 2), activation=None, tied=False, init=glorot_uniform)
        step = adam_step(ae.mse(), ae.params, x, data, n_points, learning_rate, name="train_pca_autoencoder",
                         mode=run.mode)
        record["costs"] = []
        for iteration in range(n_iterations):  # full batch: one step is one epoch
            record["costs"].append(float(step(0)))
            if iteration % 100 == 0 or iteration == n_iterations - 1:
                print("iteration %d, MSE %f" % (iteration, record["costs"][-1]))

        X = data.get_value()
        codings = evaluate(ae.codings, x, data, mode=run.mode)
        _, singular_values, components = numpy.linalg.svd(X - X.mean(axis=0), full_matrices=False)
        learned_plane = ae.decoder[0].W.get_value().T  # 3 x 2: the reconstructions' directions
        angles = numpy.degrees(scipy.linalg.subspace_angles(learned_plane, components[:2].T))
        pca_mse = float((singular_values[2:] ** 2).sum() / X.size)
        record.update(principal_angles_degrees=[float(a) for a in angles],
                      final_mse=float(evaluate(ae.mse(), x, data, mode=run.mode)),
                      pca_mse=pca_mse)
        print("principal angles between the autoencoder's plane and PCA's: %s degrees; MSE %.5f (PCA's %.5f)"
              % (", ".join("%.3f" % a for a in angles), record["final_mse"], pca_mse))
        pca_codings = (X - X.mean(axis=0)) @ components[:2].T
        save_scatter({"autoencoder codings": codings, "PCA projection": pca_codings}, folder / "codings.png")
    return run.record


def stacked_autoencoder(n_epochs=5, batch_size=150, learning_rate=0.01, l2_reg=0.001, n_hidden=(300, 150), tied=True,
                        noise="", noise_level=1.0, dataset="mnist.pkl.gz", seed=42, *, output_folder=None, mode=None,
                        floatX="float32"):
    """The stacked autoencoder 784-300-150-300-784 (ELU, He init, L2, Adam, MSE) with tied weights.

    Writes ``reconstructions.png`` (test digits above their reconstructions)
    and ``features.png`` (the first layer's weights as 28x28 images).
    ``noise`` ("gaussian" or "dropout", at ``noise_level``) makes it a
    denoising autoencoder; the noise is on only in the training function.
    """
    parameters = dict(n_epochs=n_epochs, batch_size=batch_size, learning_rate=learning_rate, l2_reg=l2_reg,
                      n_hidden=n_hidden, tied=tied, noise=noise, noise_level=noise_level, dataset=dataset, seed=seed)
    with Run("denoising_autoencoder" if noise else "stacked_autoencoder", parameters,
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        record, folder, name = run.record, run.folder, run.tutorial
        train_x, test_x = mnist_images(dataset)
        x = pt.matrix("x")
        n_in = train_x.get_value(borrow=True).shape[1]
        ae = Autoencoder(numpy.random.RandomState(seed), x, sizes=(n_in, *n_hidden), tied=tied, noise=noise or None,
                         noise_level=noise_level, seed=seed)
        cost = ae.mse() + ae.l2(l2_reg)
        training, clean = ({ae.is_training: numpy.int8(1)}, {ae.is_training: numpy.int8(0)}) if noise else ({}, {})
        step = adam_step(cost, ae.params, x, train_x, batch_size, learning_rate, givens=training,
                         name="train_autoencoder", mode=run.mode)
        record["costs"] = fit(step, train_x, batch_size, n_epochs, name.replace("_", " "),
                              checkpoint=run.checkpoint("training"))
        test_mse, reconstructions = evaluate([ae.mse(), ae.output], x, test_x, clean, mode=run.mode)
        record["test_mse"] = float(test_mse)
        print("test reconstruction MSE %f" % test_mse)
        save_reconstructions(test_x.get_value(borrow=True), reconstructions, folder / "reconstructions.png")
        save_filters(ae.encoder[0].W.get_value(borrow=True), folder / "features.png")
        save_curves({"training loss": (numpy.arange(len(record["costs"])), record["costs"])}, folder / "costs.png",
                    ylabel="MSE + L2")
    return run.record


def denoising_autoencoder(noise="gaussian", noise_level=0.0, n_epochs=5, batch_size=150, learning_rate=0.01,
                          l2_reg=0.001, dataset="mnist.pkl.gz", *, seed=42, output_folder=None, mode=None,
                          floatX="float32"):
    """The stacked autoencoder trained on noisy inputs: Gaussian noise (std 1) or dropout (keep 0.7).

    ``noise_level`` 0 takes the text's value for the noise: 1.0 for Gaussian, 0.3 dropped for dropout; ``seed`` is
    :func:`stacked_autoencoder`'s (the weights and the noise).
    """
    level = noise_level or {"gaussian": 1.0, "dropout": 0.3}.get(noise, 0.0)
    return stacked_autoencoder(n_epochs=n_epochs, batch_size=batch_size, learning_rate=learning_rate,
                               l2_reg=l2_reg, noise=noise, noise_level=level, dataset=dataset, seed=seed,
                               output_folder=output_folder, mode=mode, floatX=floatX)


def copy_layer(target, source):
    """Give layer ``target`` the current values of ``source``'s weights and biases."""
    target.W.set_value(source.W.get_value())
    target.b.set_value(source.b.get_value())


def autoencoders_one_at_a_time(n_epochs=4, batch_size=150, learning_rate=0.01, l2_reg=0.0001, n_hidden=(300, 150),
                               cache_codes=True, dataset="mnist.pkl.gz", seed=42, *, output_folder=None, mode=None,
                               floatX="float32"):
    """Train a 784-300-150-300-784 autoencoder (untied) one shallow autoencoder at a time, both ways of the text.

    (a) separate graphs: autoencoder 1 (784-300-784) learns the images; its
    codings of the training set, computed once, are the data of autoencoder
    2 (300-150-300); the four layers are then stacked.  (b) one graph, the
    whole stack, with a phase-1 function (hidden layer 1 straight to the
    output layer) and a phase-2 function (hidden layer 3 must reproduce
    hidden layer 1) whose updates leave layer 1 alone; with ``cache_codes``
    phase 2 reads hidden layer 1's output from a cache.  Both reach the
    same test reconstruction MSE within noise.
    """
    with Run("autoencoders_one_at_a_time", dict(n_epochs=n_epochs, batch_size=batch_size, learning_rate=learning_rate,
                                                l2_reg=l2_reg, n_hidden=n_hidden, cache_codes=cache_codes,
                                                dataset=dataset, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        record = run.record
        train_x, test_x = mnist_images(dataset)
        n_in = train_x.get_value(borrow=True).shape[1]
        sizes = (n_in, *n_hidden)
        x = pt.matrix("x")

        # (a) separate graphs, the codings of autoencoder 1 cached as the data of autoencoder 2
        rng = numpy.random.RandomState(seed)
        first = Autoencoder(rng, x, sizes=sizes[:2], tied=False)
        step = adam_step(first.mse() + first.l2(l2_reg), first.params, x, train_x, batch_size, learning_rate,
                         mode=run.mode)
        costs_a = [fit(step, train_x, batch_size, n_epochs, "(a) autoencoder 1",
                       checkpoint=run.checkpoint("separate-graphs", layer=0))]
        codes = empty_codes(sizes[1])
        codes.set_value(evaluate(first.codings, x, train_x, mode=run.mode))
        h = pt.matrix("h")
        second = Autoencoder(rng, h, sizes=sizes[1:], tied=False)
        step = adam_step(second.mse() + second.l2(l2_reg), second.params, h, codes, batch_size, learning_rate,
                         mode=run.mode)
        costs_a.append(fit(step, codes, batch_size, n_epochs, "(a) autoencoder 2",
                           checkpoint=run.checkpoint("separate-graphs", layer=1)))
        stacked_a = Autoencoder(rng, x, sizes=sizes, tied=False)
        for target, source in zip(stacked_a.encoder + stacked_a.decoder,
                                  [first.encoder[0], second.encoder[0], second.decoder[0], first.decoder[0]]):
            copy_layer(target, source)

        # (b) one graph with two training phases
        stack = Autoencoder(numpy.random.RandomState(seed), x, sizes=sizes, tied=False)
        phase1, phase2 = training_phases(stack, x, train_x, batch_size, learning_rate, l2_reg, cache_codes,
                                         mode=run.mode)
        costs_b = [fit(phase1, train_x, batch_size, n_epochs, "(b) phase 1",
                       checkpoint=run.checkpoint("one-graph-phase1")),
                   fit(phase2, train_x, batch_size, n_epochs, "(b) phase 2",
                       checkpoint=run.checkpoint("one-graph-phase2"))]

        record["separate_graphs"] = {"costs": costs_a,
                                     "test_mse": float(evaluate(stacked_a.mse(), x, test_x, mode=run.mode))}
        record["one_graph"] = {"costs": costs_b, "test_mse": float(evaluate(stack.mse(), x, test_x, mode=run.mode))}
        print("test reconstruction MSE: (a) separate graphs %f, (b) one graph with phases %f"
              % (record["separate_graphs"]["test_mse"], record["one_graph"]["test_mse"]))
    return run.record


def training_phases(stack, x, data_x, batch_size, learning_rate, l2_reg, cache_codes=True, mode=None):
    """The phase-1 and phase-2 training steps of one two-layer stacked autoencoder graph (untied).

    Phase 1 trains the first autoencoder: hidden layer 1 straight to the
    output layer.  Phase 2 trains hidden layers 2 and 3 to reproduce hidden
    layer 1's output; layer 1 is frozen, its parameters are not among the
    updated ones.  With ``cache_codes``, phase 2 reads hidden layer 1's
    output from a cache computed at its first call (after phase 1).
    """
    (layer1, layer2), (layer3, layer4) = stack.encoder, stack.decoder
    hidden1 = layer1.output
    phase1_outputs = pt.dot(hidden1, layer4.W) + layer4.b
    phase1_loss = pt.mean((phase1_outputs - x) ** 2) + l2_penalty([layer1.W, layer4.W], l2_reg)
    phase1 = adam_step(phase1_loss, layer1.params + layer4.params, x, data_x, batch_size, learning_rate,
                       name="phase1", mode=mode)
    phase2_loss = pt.mean((layer3.output - hidden1) ** 2) + l2_penalty([layer2.W, layer3.W], l2_reg)
    phase2_updates = adam(phase2_loss, layer2.params + layer3.params, lr=learning_rate)  # layer 1 frozen
    index = pt.lscalar("index")
    phase2 = compile_function([index], phase2_loss, updates=phase2_updates, name="phase2", mode=mode,
                              givens={x: data_x[index * batch_size: (index + 1) * batch_size]})
    if cache_codes:
        phase2 = with_cached_codes(phase2, layer_input=hidden1, network_input=x, train_set_x=data_x,
                                   width=layer1.W.get_value(borrow=True).shape[1])
    return phase1, phase2


class EncoderClassifier:
    """ELU hidden layers (optionally starting from pretrained encoder layers) under a softmax layer."""

    def __init__(self, rng, input, sizes, n_out=10, pretrained=None):
        self.hidden_layers, layer_input = [], input
        for k, (n_in, n_hidden) in enumerate(zip(sizes[:-1], sizes[1:])):
            layer = HiddenLayer(rng, layer_input, n_in, n_hidden, W=he_normal(rng, n_in, n_hidden), activation=elu)
            if pretrained is not None:
                copy_layer(layer, pretrained[k])
            self.hidden_layers.append(layer)
            layer_input = layer.output
        self.softmax = LogisticRegression(layer_input, sizes[-1], n_out)
        self.params = [p for layer in self.hidden_layers for p in layer.params] + self.softmax.params


def unsupervised_pretraining(n_labels=500, pretraining_epochs=5, training_epochs=40, batch_size=150,
                             labelled_batch_size=50, learning_rate=0.01, l2_reg=0.001, n_hidden=(300, 150),
                             dataset="mnist.pkl.gz", seed=42, *, output_folder=None, mode=None, floatX="float32"):
    """Pretrain the stacked autoencoder on all training images, then classify with ``n_labels`` labels.

    The pretrained encoder (784-300-150) gets a softmax layer, trained on the
    first ``n_labels`` labelled images in three ways: encoder frozen (only
    the softmax learns), encoder unfrozen (everything learns), and the same
    network from a random initialisation.  Reports the three test errors.
    """
    with Run("unsupervised_pretraining", dict(n_labels=n_labels, pretraining_epochs=pretraining_epochs,
                                              training_epochs=training_epochs, batch_size=batch_size,
                                              labelled_batch_size=labelled_batch_size, learning_rate=learning_rate,
                                              l2_reg=l2_reg, n_hidden=n_hidden, dataset=dataset, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        record = run.record
        (train_images, train_labels), _, test_set = load_mnist(dataset)
        if n_labels > len(train_labels):
            raise ArgumentError(f"n_labels={n_labels} (--n-labels): the labelled images are taken from the training "
                                f"set, which has {len(train_labels)}")
        train_x, _ = shared_dataset((train_images, train_labels))
        labelled_x, labelled_y = shared_dataset((train_images[:n_labels], train_labels[:n_labels]))
        test_x, test_y = shared_dataset(test_set)
        n_in = train_x.get_value(borrow=True).shape[1]
        x, y = pt.matrix("x"), pt.ivector("y")
        rng = numpy.random.RandomState(seed)
        ae = Autoencoder(rng, x, sizes=(n_in, *n_hidden), tied=True)
        step = adam_step(ae.mse() + ae.l2(l2_reg), ae.params, x, train_x, batch_size, learning_rate, mode=run.mode)
        record["pretraining_costs"] = fit(step, train_x, batch_size, pretraining_epochs, "pretraining",
                                          checkpoint=run.checkpoint("pretraining"))

        index = pt.lscalar("index")
        givens = minibatch_givens(index, labelled_batch_size, (x, labelled_x), (y, labelled_y))
        record["test_errors"] = {}
        variants = {"pretrained, frozen": (ae.encoder, "frozen"), "pretrained, unfrozen": (ae.encoder, "all"),
                    "random init": (None, "all")}
        for label, (pretrained, trained) in variants.items():
            net = EncoderClassifier(numpy.random.RandomState(seed + 1), x, (n_in, *n_hidden), pretrained=pretrained)
            params = net.softmax.params if trained == "frozen" else net.params
            cost = net.softmax.negative_log_likelihood(y)
            step = compile_function([index], cost, updates=adam(cost, params, lr=learning_rate), givens=givens,
                                    mode=run.mode)
            fit(step, labelled_x, labelled_batch_size, training_epochs, label,
                checkpoint=run.checkpoint(label.replace(", ", "-").replace(" ", "-")))
            error = float(evaluate(net.softmax.errors(y), x, test_x, {y: test_y}, mode=run.mode))
            record["test_errors"][label] = error
            print("%s: test error %.2f %%" % (label, 100 * error))
    return run.record


def sparse_autoencoder(n_hidden=1000, sparsity_target=0.1, sparsity_weight=0.2, n_epochs=20, batch_size=1000,
                       learning_rate=0.01, dataset="mnist.pkl.gz", seed=42, *, output_folder=None, mode=None,
                       floatX="float32"):
    """A sparse autoencoder: sigmoid codings pushed to a mean activation of ``sparsity_target``.

    Loss: the sigmoid cross-entropy of the output logits (mean over the
    entries) plus ``sparsity_weight`` times the sum over coding units of
    KL(target || the unit's mean activation over the minibatch).
    """
    with Run("sparse_autoencoder", dict(n_hidden=n_hidden, sparsity_target=sparsity_target,
                                        sparsity_weight=sparsity_weight, n_epochs=n_epochs, batch_size=batch_size,
                                        learning_rate=learning_rate, dataset=dataset, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        record, folder = run.record, run.folder
        train_x, test_x = mnist_images(dataset)
        n_in = train_x.get_value(borrow=True).shape[1]
        x = pt.matrix("x")
        ae = Autoencoder(numpy.random.RandomState(seed), x, sizes=(n_in, n_hidden), activation=pt.sigmoid,
                         output_activation=pt.sigmoid, tied=False)
        # start-snippet-1
        sparsity_loss = kl_divergence(sparsity_target, ae.codings.mean(axis=0)).sum()
        cost = ae.cross_entropy() + sparsity_weight * sparsity_loss
        # end-snippet-1
        step = adam_step(cost, ae.params, x, train_x, batch_size, learning_rate, name="train_sparse_autoencoder",
                         mode=run.mode)
        record["costs"] = fit(step, train_x, batch_size, n_epochs, "sparse autoencoder",
                              checkpoint=run.checkpoint("training"))
        activations, test_loss, reconstructions = evaluate([ae.codings.mean(axis=0), ae.cross_entropy(), ae.output],
                                                           x, test_x, mode=run.mode)
        record.update(mean_activation=float(activations.mean()), target=sparsity_target,
                      unit_mean_activations=[float(a) for a in activations], test_cross_entropy=float(test_loss))
        print("mean activation of the coding layer on the test set: %.4f (target %.2f); "
              "units between 0.05 and 0.2: %d/%d"
              % (activations.mean(), sparsity_target, ((activations > 0.05) & (activations < 0.2)).sum(), n_hidden))
        save_reconstructions(test_x.get_value(borrow=True), reconstructions, folder / "reconstructions.png")
        save_filters(ae.encoder[0].W.get_value(borrow=True), folder / "features.png")
    return run.record


def variational_autoencoder(n_epochs=50, batch_size=150, learning_rate=0.001, n_digits=60, n_hidden=(500, 500, 20),
                            dataset="mnist.pkl.gz", seed=42, *, output_folder=None, mode=None, floatX="float32"):
    """A variational autoencoder (log sigma^2 form) trained with Adam; then ``n_digits`` new digits.

    The generated digits decode codings drawn from N(0, I): the sampled
    codings are replaced by them through ``givens``, as the text feeds them.
    """
    with Run("variational_autoencoder", dict(n_epochs=n_epochs, batch_size=batch_size, learning_rate=learning_rate,
                                             n_digits=n_digits, n_hidden=n_hidden, dataset=dataset, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        record, folder = run.record, run.folder
        train_x, test_x = mnist_images(dataset)
        n_in = train_x.get_value(borrow=True).shape[1]
        x = pt.matrix("x")
        rng = numpy.random.RandomState(seed)
        vae = VariationalAutoencoder(rng, x, sizes=(n_in, *n_hidden), seed=seed)
        step = adam_step(vae.cost, vae.params, x, train_x, batch_size, learning_rate, name="train_vae", mode=run.mode)
        record["costs"] = fit(step, train_x, batch_size, n_epochs, "variational autoencoder",
                              checkpoint=run.checkpoint("training"))
        reconstruction, latent = evaluate([vae.reconstruction_loss, vae.latent_loss], x, test_x, mode=run.mode)
        record.update(test_reconstruction_loss=float(reconstruction), test_latent_loss=float(latent),
                      test_negative_elbo=float(reconstruction + latent))
        print("test set, per digit: reconstruction loss %.2f, latent loss %.2f, -ELBO %.2f"
              % (reconstruction, latent, reconstruction + latent))
        codings = rng.normal(size=(n_digits, n_hidden[-1])).astype(pytensor.config.floatX)
        digits = compile_function([], vae.output, givens={vae.codings: pytensor.shared(codings)}, mode=run.mode)()
        record["generated_digits_shape"] = list(digits.shape)
        side = int(round(numpy.sqrt(n_in)))
        columns = min(10, n_digits)
        save_image(tile_raster_images(digits, (side, side), (-(-n_digits // columns), columns), (1, 1),
                                      scale_rows_to_unit_interval=False), folder / "generated_digits.png", scale=2)
        record["digits_range"] = [float(digits.min()), float(digits.max())]
    return run.record


