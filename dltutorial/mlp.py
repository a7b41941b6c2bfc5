"""Multilayer perceptron: a hidden layer of tanh units under a logistic regression.

.. math::
    f(x) = G( b^{(2)} + W^{(2)}( s( b^{(1)} + W^{(1)} x)))

with :math:`s` the hidden activation (tanh here) and :math:`G` the softmax.
The cost adds L1 and L2 penalties on the weights to the negative
log-likelihood; training is the same minibatch SGD with early stopping as
the logistic regression.
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .core.compile import compile_function
from .core.data import load_data
from .core.minibatches import n_batches
from .core.runs import Run
from .core.training import early_stopping, report_time
from .logistic_sgd import LogisticRegression


# start-snippet-1
class HiddenLayer:
    """A fully-connected layer: ``output = activation(dot(input, W) + b)``."""

    def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=pt.tanh):
        """
        :type rng: numpy.random.RandomState
        :param rng: a random number generator used to initialise the weights
        :type input: pytensor.tensor.TensorVariable
        :param input: a symbolic tensor of shape (n_examples, n_in)
        :param n_in: dimensionality of the input
        :param n_out: number of hidden units
        :param activation: non-linearity applied in the hidden layer (None: linear)

        ``W`` is drawn uniformly from
        :math:`\\pm\\sqrt{6/(n_{in}+n_{out})}` for tanh (Glorot and Bengio,
        2010) and four times that for the sigmoid; ``b`` starts at zero.
        """
        self.input = input
        floatX = pytensor.config.floatX
        if W is None:
            bound = numpy.sqrt(6.0 / (n_in + n_out))
            W_values = numpy.asarray(rng.uniform(low=-bound, high=bound, size=(n_in, n_out)), dtype=floatX)
            if activation is pt.sigmoid:
                W_values *= 4
            W = pytensor.shared(value=W_values, name="W", borrow=True)
        if b is None:
            b = pytensor.shared(value=numpy.zeros((n_out,), dtype=floatX), name="b", borrow=True)
        self.W = W
        self.b = b
        lin_output = pt.dot(input, self.W) + self.b
        self.output = lin_output if activation is None else activation(lin_output)
        self.params = [self.W, self.b]
        # end-snippet-1


# start-snippet-2
class MLP:
    """One hidden layer (tanh) and a softmax output layer (LogisticRegression)."""

    def __init__(self, rng, input, n_in, n_hidden, n_out):
        """
        :param rng: numpy.random.RandomState used to initialise the weights
        :param input: symbolic variable for one minibatch of inputs
        :param n_in: number of input units
        :param n_hidden: number of hidden units
        :param n_out: number of output units (classes)
        """
        self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden, activation=pt.tanh)
        self.logRegressionLayer = LogisticRegression(input=self.hiddenLayer.output, n_in=n_hidden, n_out=n_out)
        # L1 norm and squared L2 norm of the weights, for regularisation
        self.L1 = abs(self.hiddenLayer.W).sum() + abs(self.logRegressionLayer.W).sum()
        self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.logRegressionLayer.W ** 2).sum()
        self.negative_log_likelihood = self.logRegressionLayer.negative_log_likelihood
        self.errors = self.logRegressionLayer.errors
        self.params = self.hiddenLayer.params + self.logRegressionLayer.params
        self.input = input
        # end-snippet-2


def test_mlp(learning_rate=0.01, L1_reg=0.00, L2_reg=0.0001, n_epochs=1000,
             dataset="mnist.pkl.gz", batch_size=20, n_hidden=500, *, seed=1234, output_folder=None, mode=None,
             floatX="float32"):
    """Stochastic gradient descent optimisation of a multilayer perceptron on MNIST.

    :param learning_rate: learning rate used (factor for the stochastic gradient)
    :param L1_reg: L1-norm's weight when added to the cost
    :param L2_reg: L2-norm's weight when added to the cost
    :param n_epochs: maximal number of epochs to run the optimizer
    :param dataset: the path of the MNIST dataset file (or IDX folder)
    :param seed: seeds the initial weights (the original's 1234)
    """
    with Run("mlp", dict(learning_rate=learning_rate, L1_reg=L1_reg, L2_reg=L2_reg, n_epochs=n_epochs,
                         dataset=dataset, batch_size=batch_size, n_hidden=n_hidden, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        datasets = load_data(dataset)
        train_set_x, train_set_y = datasets[0]
        valid_set_x, valid_set_y = datasets[1]
        test_set_x, test_set_y = datasets[2]
        # compute number of minibatches for training, validation and testing
        n_train_batches = n_batches(train_set_x, batch_size)
        n_valid_batches = n_batches(valid_set_x, batch_size)
        n_test_batches = n_batches(test_set_x, batch_size)

        print("... building the model")
        index = pt.lscalar("index")  # index to a [mini]batch
        x = pt.matrix("x")  # the data is presented as rasterized images
        y = pt.ivector("y")  # the labels are presented as 1D vector of [int] labels
        rng = numpy.random.RandomState(seed)
        n_in = train_set_x.get_value(borrow=True).shape[1]
        # start-snippet-3
        # construct the MLP class
        classifier = MLP(rng=rng, input=x, n_in=n_in, n_hidden=n_hidden, n_out=10)
        # the cost we minimize during training is the negative log likelihood of the model plus the
        # regularization terms (L1 and L2); cost is expressed here symbolically
        cost = classifier.negative_log_likelihood(y) + L1_reg * classifier.L1 + L2_reg * classifier.L2_sqr
        # end-snippet-3

        # compiling a function that computes the mistakes that are made by the model on a minibatch
        test_model = compile_function(
            inputs=[index],
            outputs=classifier.errors(y),
            givens={
                x: test_set_x[index * batch_size:(index + 1) * batch_size],
                y: test_set_y[index * batch_size:(index + 1) * batch_size],
            },
            mode=run.mode,
        )
        validate_model = compile_function(
            inputs=[index],
            outputs=classifier.errors(y),
            givens={
                x: valid_set_x[index * batch_size:(index + 1) * batch_size],
                y: valid_set_y[index * batch_size:(index + 1) * batch_size],
            },
            mode=run.mode,
        )

        # start-snippet-5
        # compute the gradient of cost with respect to theta (stored in params); the resulting gradients
        # are stored in a list gparams
        gparams = [pt.grad(cost, param) for param in classifier.params]

        # specify how to update the parameters of the model as a list of (variable, update expression) pairs;
        # zip pairs each parameter with its gradient
        updates = [(param, param - learning_rate * gparam) for param, gparam in zip(classifier.params, gparams)]

        # compiling a function `train_model` that returns the cost, but at the same time updates the parameter
        # of the model based on the rules defined in `updates`
        train_model = compile_function(
            inputs=[index],
            outputs=cost,
            updates=updates,
            givens={
                x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size],
            },
            mode=run.mode,
        )
        # end-snippet-5

        print("... training")
        result = early_stopping(train_model, n_train_batches,
                                lambda: [validate_model(i) for i in range(n_valid_batches)],
                                lambda: [test_model(i) for i in range(n_test_batches)],
                                n_epochs=n_epochs, patience=10000, checkpoint=run.checkpoint("training"))
        print(("Optimization complete. Best validation score of %f %% obtained at iteration %i, "
               "with test performance %f %%")
              % (result.best_validation_loss * 100.0, result.best_iter + 1, result.test_score * 100.0))
        report_time(__file__, result.seconds)
        run.record.update(training=result.as_dict(), best_validation_error=result.best_validation_loss,
                          test_error=result.test_score)
    return run.record


test_mlp.__test__ = False  # an entry function, not a test: pytest must not collect it
