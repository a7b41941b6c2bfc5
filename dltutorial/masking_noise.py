"""Reference text 001's experiment: does masking noise in pretraining help a small classifier?

The text trains, with Rasmus Berg Palm's DeepLearnToolbox (MATLAB), a
784-100-100-10 sigmoid network on the 60,000 MNIST training images: each
hidden layer is first pretrained as an autoencoder (784-100-784, then
100-100-100 on the first layer's codings) for one epoch, with a fraction of
its input entries set to zero (0 or 0.5), then the whole network is
finetuned for one epoch.  Everything uses that toolbox's defaults: sigmoid
units everywhere (the output layer too), half the summed squared error as
the loss (against one-hot labels when finetuning), minibatches of 100,
learning rate 1 with momentum 0.5, weights uniform in
:math:`\\pm 4\\sqrt{6/(n_{in}+n_{out})}`.  It reports test errors of 9.33 %
without noise and 8.26 % with it.  :func:`masking_noise_sae` repeats the
experiment here, for several seeds.
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .autoencoders import Autoencoder
from .core.arguments import check_sequence
from .core.compile import compile_function
from .core.data import load_mnist, shared_dataset
from .core.minibatches import Shuffler, minibatch_givens, n_batches
from .core.random_init import sigmoid_weights
from .core.runs import Run
from .core.steps import empty_codes, evaluate
from .core.training import train_epochs
from .core.updates import momentum
from .mlp import HiddenLayer

PUBLISHED_TEST_ERRORS = {0.0: 0.0933, 0.5: 0.0826}  # text 001, DeepLearnToolbox


def half_squared_error(output, target):
    """DeepLearnToolbox's loss: half the squared error summed over the outputs, averaged over the minibatch."""
    return 0.5 * ((output - target) ** 2).sum(axis=1).mean()


def train_sae(train_set, sizes, masking_fraction, learning_rate, momentum_rate, batch_size, n_epochs, rng, seed,
              checkpoint=None, mode=None):
    """Pretrain one autoencoder per hidden layer, each on the clean codings of the one below; return them.

    The data are shuffled before each epoch (the images with their labels).
    ``checkpoint(layer)`` names each layer's checkpoint file (None: no checkpoints).
    """
    autoencoders, layer_data, shuffled_together = [], train_set[0], train_set
    for n_in, n_hidden in zip(sizes[:-1], sizes[1:]):
        x = pt.matrix("x")
        # start-snippet-1
        ae = Autoencoder(rng, x, sizes=(n_in, n_hidden), activation=pt.sigmoid, output_activation=pt.sigmoid,
                         tied=False, init=sigmoid_weights, noise="masking" if masking_fraction else None,
                         noise_level=masking_fraction, seed=seed)
        cost = half_squared_error(ae.output, x)
        index = pt.lscalar("index")
        givens = minibatch_givens(index, batch_size, (x, layer_data))
        if masking_fraction:
            givens[ae.is_training] = numpy.int8(1)
        step = compile_function([index], cost, updates=momentum(cost, ae.params, learning_rate, momentum_rate),
                                givens=givens, mode=mode)
        # end-snippet-1
        shuffler = Shuffler(rng, *shuffled_together)
        shuffler.shuffle()
        layer = len(autoencoders)
        train_epochs(step, n_batches(layer_data, batch_size), n_epochs, line="pretraining layer {layer} epoch {epoch}, "
                     "cost {cost:f}", layer=layer, on_epoch=shuffler.shuffle,
                     checkpoint=checkpoint and checkpoint(layer), also_save=[shuffler])
        autoencoders.append(ae)
        codes = empty_codes(n_hidden)
        codes.set_value(evaluate(ae.codings, x, layer_data, {ae.is_training: numpy.int8(0)} if masking_fraction
                                 else None, mode=mode))
        layer_data, shuffled_together = codes, (codes,)
    return autoencoders


def finetune_error(train_set, test_set, sizes, autoencoders, learning_rate, momentum_rate, batch_size, n_epochs, rng,
                   checkpoint=None, mode=None):
    """Finetune the sigmoid network initialised from the autoencoders' encoders; return its test error."""
    (train_x, train_y), (test_x, test_y) = train_set, test_set
    x, y = pt.matrix("x"), pt.ivector("y")
    layer_input, params = x, []
    for k, ae in enumerate(autoencoders):
        layer = HiddenLayer(rng, layer_input, sizes[k], sizes[k + 1], W=ae.encoder[0].W, b=ae.encoder[0].b,
                            activation=pt.sigmoid)
        layer_input, params = layer.output, params + layer.params
    output_layer = HiddenLayer(rng, layer_input, sizes[-2], sizes[-1], W=sigmoid_weights(rng, sizes[-2], sizes[-1]),
                               activation=pt.sigmoid)
    params += output_layer.params
    cost = half_squared_error(output_layer.output, pt.eye(sizes[-1])[y])
    index = pt.lscalar("index")
    step = compile_function([index], cost, updates=momentum(cost, params, learning_rate, momentum_rate),
                            givens=minibatch_givens(index, batch_size, (x, train_x), (y, train_y)), mode=mode)
    shuffler = Shuffler(rng, train_x, train_y)
    shuffler.shuffle()
    train_epochs(step, n_batches(train_x, batch_size), n_epochs, line="finetuning epoch {epoch}, cost {cost:f}",
                 on_epoch=shuffler.shuffle, checkpoint=checkpoint, also_save=[shuffler])
    return float(evaluate(pt.mean(pt.neq(pt.argmax(output_layer.output, axis=1), y)), x, test_x, {y: test_y},
                          mode=mode))


def masking_noise_sae(masking_fractions=(0.0, 0.5), seeds=(0, 1, 2), n_hidden=(100, 100), learning_rate=1.0,
                      momentum_rate=0.5, batch_size=100, pretraining_epochs=1, finetuning_epochs=1,
                      dataset="mnist.pkl.gz", *, output_folder=None, mode=None, floatX="float32"):
    """Text 001's 784-100-100-10 experiment: test error with masking fraction 0 and 0.5, median over seeds.

    Trains on all 60,000 MNIST training images (the tutorial's train and
    validation sets together), as the text did.
    """
    check_sequence("n_hidden", n_hidden)  # here a list of layer sizes, elsewhere one layer's
    with Run("masking_noise_sae", dict(masking_fractions=masking_fractions, seeds=seeds, n_hidden=n_hidden,
                                       learning_rate=learning_rate, momentum_rate=momentum_rate,
                                       batch_size=batch_size, pretraining_epochs=pretraining_epochs,
                                       finetuning_epochs=finetuning_epochs, dataset=dataset),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        (train_images, train_labels), (valid_images, valid_labels), test_set = load_mnist(dataset)
        images = numpy.concatenate([train_images, valid_images])
        labels = numpy.concatenate([train_labels, valid_labels])
        sizes = (images.shape[1], *n_hidden, 10)
        run.record["results"] = []
        for fraction in masking_fractions:
            errors = []
            for seed in seeds:
                rng = numpy.random.RandomState(seed)
                train_set = (pytensor.shared(images.astype(pytensor.config.floatX), shape=(None, sizes[0])),
                             pytensor.shared(labels.astype("int32")))  # shuffled in place: a fresh copy per run
                phase = f"masking{fraction:g}-seed{seed}"
                autoencoders = train_sae(train_set, sizes[:-1], fraction, learning_rate, momentum_rate, batch_size,
                                         pretraining_epochs, rng, seed, mode=run.mode,
                                         checkpoint=lambda layer: run.checkpoint(f"{phase}-pretraining", layer=layer))
                errors.append(finetune_error(train_set, shared_dataset(test_set), sizes, autoencoders, learning_rate,
                                             momentum_rate, batch_size, finetuning_epochs, rng, mode=run.mode,
                                             checkpoint=run.checkpoint(f"{phase}-finetuning")))
                print("masking fraction %.2f, seed %d: test error %.2f %%" % (fraction, seed, 100 * errors[-1]))
            published = PUBLISHED_TEST_ERRORS.get(fraction)
            run.record["results"].append({"masking_fraction": fraction, "test_errors": errors,
                                          "median_test_error": float(numpy.median(errors)),
                                          "published_test_error": published})
            print("masking fraction %.2f: median test error %.2f %% over %d seeds (text 001: %s)"
                  % (fraction, 100 * numpy.median(errors), len(seeds),
                     "%.2f %%" % (100 * published) if published is not None else "not reported"))
    return run.record
