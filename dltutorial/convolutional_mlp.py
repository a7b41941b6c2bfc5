"""LeNet5: a convolutional network classifying MNIST digits.

Two convolution + max-pooling layers extract features; a tanh hidden layer
and a logistic regression classify them (the 20-50-500-10 network):

* layer 0: 20 filters 5x5 on the 28x28 image -> 24x24 maps, 2x2 max-pooling -> 12x12;
* layer 1: 50 filters 5x5 on the 20 maps    -> 8x8 maps,  2x2 max-pooling -> 4x4;
* layer 2: 50*4*4 = 800 inputs -> 500 tanh units;
* layer 3: 500 -> 10 classes (softmax).

As in the tutorial, this simplifies LeCun et al. (1998): no location-specific
gain and bias, max- rather than average-pooling, a logistic regression
rather than an RBF network, and fully-connected convolutions at the second
layer.  ``conv2d`` and ``pool_2d`` are rebuilt as PyTensor graphs in
:mod:`dltutorial.core.nnet`.
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .core.compile import compile_function
from .core.data import DataError, image_side, load_data
from .core.files import save_pickle
from .core.minibatches import n_batches
from .core.nnet import conv2d, pool_2d
from .core.plots import save_curves, save_filters
from .core.runs import Run
from .core.training import early_stopping, report_time
from .logistic_sgd import LogisticRegression
from .mlp import HiddenLayer


class LeNetConvPoolLayer:
    """A convolution layer followed by max-pooling, a bias and tanh."""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        """
        :type rng: numpy.random.RandomState
        :param rng: a random number generator used to initialise the weights
        :type input: pytensor.tensor.TensorVariable
        :param input: symbolic image tensor, of shape image_shape
        :type filter_shape: tuple or list of length 4
        :param filter_shape: (number of filters, num input feature maps,
                              filter height, filter width)
        :type image_shape: tuple or list of length 4
        :param image_shape: (batch size, num input feature maps,
                             image height, image width)
        :type poolsize: tuple or list of length 2
        :param poolsize: the downsampling (pooling) factor (#rows, #cols)

        Each unit has ``fan_in = channels * k_rows * k_cols`` inputs and
        sends gradient to ``fan_out = n_filters * k_rows * k_cols / pooling
        size`` units; ``W`` is uniform in :math:`\\pm\\sqrt{6/(fan_{in}+fan_{out})}`,
        ``b`` (one bias per feature map) starts at zero.
        """
        if image_shape[1] != filter_shape[1]:
            raise ValueError(f"image_shape {tuple(image_shape)} has {image_shape[1]} feature maps "
                             f"but filter_shape {tuple(filter_shape)} expects {filter_shape[1]}")
        self.input = input
        floatX = pytensor.config.floatX
        # start-snippet-1
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize)
        W_bound = numpy.sqrt(6.0 / (fan_in + fan_out))
        self.W = pytensor.shared(
            numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape), dtype=floatX),
            name="W", borrow=True)
        self.b = pytensor.shared(numpy.zeros((filter_shape[0],), dtype=floatX), name="b", borrow=True)

        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape)
        pooled_out = pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        # the bias is broadcast over the minibatch and the feature maps' rows and columns
        self.output = pt.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]
        # end-snippet-1


# start-snippet-2
class LeNet5:
    """The tutorial's network: two LeNetConvPoolLayers, a tanh HiddenLayer, a LogisticRegression."""

    def __init__(self, rng, input, batch_size, image_side=28, nkerns=(20, 50), filter_side=5,
                 poolsize=(2, 2), n_hidden=500, n_out=10):
        """
        :param input: symbolic matrix, one rasterised ``image_side**2`` image per row
        :param nkerns: number of kernels on each convolutional layer
        """
        layer0_input = input.reshape((batch_size, 1, image_side, image_side))
        self.layer0 = LeNetConvPoolLayer(
            rng, input=layer0_input, image_shape=(batch_size, 1, image_side, image_side),
            filter_shape=(nkerns[0], 1, filter_side, filter_side), poolsize=poolsize)
        side0 = (image_side - filter_side + 1) // poolsize[0]  # 28 -> 24 -> 12
        self.layer1 = LeNetConvPoolLayer(
            rng, input=self.layer0.output, image_shape=(batch_size, nkerns[0], side0, side0),
            filter_shape=(nkerns[1], nkerns[0], filter_side, filter_side), poolsize=poolsize)
        side1 = (side0 - filter_side + 1) // poolsize[0]  # 12 -> 8 -> 4
        if side1 < 1:
            smallest = poolsize[0] * (poolsize[0] + filter_side - 1) + filter_side - 1
            raise DataError(f"{image_side}x{image_side} images are too small for two {filter_side}x{filter_side} "
                            f"convolutions with {poolsize} pooling: give images of at least {smallest} x {smallest}")
        # the hidden layer takes one flat row per example: (batch_size, nkerns[1] * 4 * 4)
        self.layer2 = HiddenLayer(rng, input=self.layer1.output.flatten(2),
                                  n_in=nkerns[1] * side1 * side1, n_out=n_hidden, activation=pt.tanh)
        self.layer3 = LogisticRegression(input=self.layer2.output, n_in=n_hidden, n_out=n_out)
        self.negative_log_likelihood = self.layer3.negative_log_likelihood
        self.errors = self.layer3.errors
        self.params = self.layer3.params + self.layer2.params + self.layer1.params + self.layer0.params
        # end-snippet-2


def evaluate_lenet5(learning_rate=0.1, n_epochs=200, dataset="mnist.pkl.gz", nkerns=[20, 50],
                    batch_size=500, *, seed=23455, output_folder=None, mode=None, floatX="float32"):
    """Train LeNet5 on MNIST by minibatch SGD with early stopping.

    :param learning_rate: learning rate used (factor for the stochastic gradient)
    :param n_epochs: maximal number of epochs to run the optimizer
    :param dataset: path to the dataset used for training/testing (MNIST here)
    :param nkerns: number of kernels on each layer
    :param batch_size: size of a minibatch
    :param seed: seeds the initial weights (the original's 23455)
    :param output_folder: where results.json, best_model.pkl, the figures and the checkpoints go
        (default: a new ``runs/lenet5-<timestamp>/``); the folder of an interrupted run resumes it
    """
    with Run("lenet5", dict(learning_rate=learning_rate, n_epochs=n_epochs, dataset=dataset, nkerns=nkerns,
                            batch_size=batch_size, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        rng = numpy.random.RandomState(seed)
        datasets = load_data(dataset)
        train_set_x, train_set_y = datasets[0]
        valid_set_x, valid_set_y = datasets[1]
        test_set_x, test_set_y = datasets[2]
        side = image_side(train_set_x, dataset)
        # compute number of minibatches for training, validation and testing
        n_train_batches = n_batches(train_set_x, batch_size)

        print("... building the model")
        index = pt.lscalar("index")  # index to a [mini]batch
        x = pt.matrix("x")  # the data is presented as rasterised images
        y = pt.ivector("y")  # the labels are presented as a 1-D vector of int labels
        model = LeNet5(rng, x, batch_size, image_side=side, nkerns=nkerns)
        # the cost we minimize during training is the NLL of the model
        cost = model.negative_log_likelihood(y)

        n_valid_batches = n_batches(valid_set_x, batch_size)  # (after the model, which checks the images' size)
        n_test_batches = n_batches(test_set_x, batch_size)

        # start-snippet-3
        # create a function to compute the mistakes that are made by the model
        test_model = compile_function(
            [index],
            model.errors(y),
            givens={
                x: test_set_x[index * batch_size: (index + 1) * batch_size],
                y: test_set_y[index * batch_size: (index + 1) * batch_size],
            },
            mode=run.mode,
        )
        validate_model = compile_function(
            [index],
            model.errors(y),
            givens={
                x: valid_set_x[index * batch_size: (index + 1) * batch_size],
                y: valid_set_y[index * batch_size: (index + 1) * batch_size],
            },
            mode=run.mode,
        )

        # create a list of gradients for all model parameters
        grads = pt.grad(cost, model.params)

        # train_model is a function that updates the model parameters by SGD; since this model has many
        # parameters, it would be tedious to write the update rules by hand, so the updates list is built
        # by looping over all (params[i], grads[i]) pairs
        updates = [(param_i, param_i - learning_rate * grad_i) for param_i, grad_i in zip(model.params, grads)]

        train_model = compile_function(
            [index],
            cost,
            updates=updates,
            givens={
                x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size],
            },
            mode=run.mode,
        )
        # end-snippet-3

        def announce(iteration):
            if iteration % 100 == 0:
                print("training @ iter = ", iteration)

        def save_best():
            save_pickle([p.get_value() for p in model.params], run.path("best_model.pkl"))

        print("... training")
        result = early_stopping(train_model, n_train_batches,
                                lambda: [validate_model(i) for i in range(n_valid_batches)],
                                lambda: [test_model(i) for i in range(n_test_batches)],
                                n_epochs=n_epochs, patience=10000, on_best=save_best, on_iteration=announce,
                                checkpoint=run.checkpoint("training"))
        print("Optimization complete.")
        print("Best validation score of %f %% obtained at iteration %i, with test performance %f %%"
              % (result.best_validation_loss * 100.0, result.best_iter + 1, result.test_score * 100.0))
        report_time(__file__, result.seconds)

        run.record.update(training=result.as_dict(), best_validation_error=result.best_validation_loss,
                          test_error=result.test_score, seconds_per_epoch=result.seconds / max(result.epochs, 1))
        filters = model.layer0.W.get_value()  # (nkerns[0], 1, 5, 5): one 5x5 image per filter
        save_filters(filters.reshape(len(filters), -1).T, run.path("filters_layer0.png"),
                     tile_shape=(int(numpy.ceil(len(filters) / 10)), 10), scale=8)
        save_curves({"validation": result.curves(n_train_batches)["validation"]}, run.path("validation_curve.png"),
                    title="LeNet5")
    return run.record


def experiment(state, channel):
    """The original's entry for the jobman experiment scheduler: ``state`` carries ``learning_rate`` and ``dataset``."""
    return evaluate_lenet5(state.learning_rate, dataset=state.dataset)
