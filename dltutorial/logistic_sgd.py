"""Classifying MNIST digits using logistic regression (the tutorial's first chapter).

Logistic regression is a probabilistic, linear classifier, parametrised by a
weight matrix :math:`W` and a bias vector :math:`b`.  It projects an input
onto a set of hyperplanes, one per class, and the distance to each becomes a
class probability through the softmax:

.. math::
    P(Y=i|x, W,b) = softmax_i(W x + b) = \\frac{e^{W_i x + b_i}}{\\sum_j e^{W_j x + b_j}}

The prediction is the class of highest probability.  We learn ``W`` and
``b`` by minibatch stochastic gradient descent on the mean negative
log-likelihood, with early stopping on the validation set.
"""

import pickle
from pathlib import Path

import numpy
import pytensor
import pytensor.tensor as pt

from .core.arguments import check_arguments
from .core.compile import compile_function
from .core.data import DataError, load_data  # noqa: F401  (the tutorial imports load_data from here)
from .core.files import save_pickle
from .core.errors import ArgumentError
from .core.minibatches import n_batches
from .core.runs import MissingRunFile, Run, newest_run_file
from .core.training import early_stopping, report_time


# start-snippet-1
class LogisticRegression:
    """Multi-class logistic regression: one softmax layer."""

    def __init__(self, input, n_in, n_out, W=None, b=None):
        """Initialise the parameters of the logistic regression.

        :type input: pytensor.tensor.TensorVariable
        :param input: symbolic variable that describes the input of the
                      architecture (one minibatch, one example a row)
        :type n_in: int
        :param n_in: number of input units, the dimension of the space in
                     which the datapoints lie
        :type n_out: int
        :param n_out: number of output units, the dimension of the space in
                      which the labels lie
        :param W, b: optional existing parameters (shared or symbolic);
                     by default zero-initialised shared variables
        """
        floatX = pytensor.config.floatX
        if W is None:
            W = pytensor.shared(numpy.zeros((n_in, n_out), dtype=floatX), name="W", borrow=True)
        if b is None:
            b = pytensor.shared(numpy.zeros((n_out,), dtype=floatX), name="b", borrow=True)
        self.W = W
        self.b = b
        # class-membership probabilities, one row per example
        self.p_y_given_x = pt.special.softmax(pt.dot(input, self.W) + self.b, axis=1)
        # the class whose probability is maximal
        self.y_pred = pt.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        # end-snippet-1
        self.input = input

    # start-snippet-2
    def negative_log_likelihood(self, y):
        """Return the mean negative log-likelihood of the correct labels ``y``.

        .. math::
            \\frac{1}{|\\mathcal{D}|} \\mathcal{L} (\\theta=\\{W,b\\}, \\mathcal{D}) =
            -\\frac{1}{|\\mathcal{D}|} \\sum_{i=0}^{|\\mathcal{D}|} \\log(P(Y=y^{(i)}|x^{(i)}, W,b))

        The mean (not the sum) makes the learning rate less dependent on
        the minibatch size.  ``log(p)[arange(n), y]`` picks, for each row,
        the log-probability of its correct label.
        """
        return -pt.mean(pt.log(self.p_y_given_x)[pt.arange(y.shape[0]), y])
        # end-snippet-2

    def errors(self, y):
        """Return the fraction of examples in the minibatch that are misclassified.

        :param y: symbolic vector of integer labels, one per example
        """
        if y.ndim != self.y_pred.ndim:
            raise TypeError(
                f"y should have the same shape as self.y_pred: y is {y.type}, y_pred is {self.y_pred.type}"
            )
        if not y.dtype.startswith("int"):
            raise TypeError(f"y should hold integer labels, got dtype {y.dtype}")
        return pt.mean(pt.neq(self.y_pred, y))


def sgd_optimization_mnist(learning_rate=0.13, n_epochs=1000, dataset="mnist.pkl.gz", batch_size=600, *,
                           output_folder=None, mode=None, floatX="float32"):
    """Stochastic gradient descent optimisation of a log-linear model on MNIST.

    :type learning_rate: float
    :param learning_rate: learning rate used (factor for the stochastic gradient)
    :type n_epochs: int
    :param n_epochs: maximal number of epochs to run the optimizer
    :type dataset: string
    :param dataset: the path of the MNIST dataset file (or IDX folder)
    :param batch_size: examples per minibatch

    Saves the best model to ``best_model.pkl`` in the run's folder
    (``output_folder``, default a new ``runs/logistic_sgd-<timestamp>/``),
    where :func:`predict` finds it.
    """
    with Run("logistic_sgd", dict(learning_rate=learning_rate, n_epochs=n_epochs, dataset=dataset,
                                  batch_size=batch_size),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        datasets = load_data(dataset)
        train_set_x, train_set_y = datasets[0]
        valid_set_x, valid_set_y = datasets[1]
        test_set_x, test_set_y = datasets[2]
        # compute number of minibatches for training, validation and testing
        n_train_batches = n_batches(train_set_x, batch_size)
        n_valid_batches = n_batches(valid_set_x, batch_size)
        n_test_batches = n_batches(test_set_x, batch_size)

        # start-snippet-3
        print("... building the model")
        index = pt.lscalar("index")  # index to a [mini]batch
        x = pt.matrix("x")  # data, presented as rasterized images
        y = pt.ivector("y")  # labels, presented as 1D vector of [int] labels
        n_in = train_set_x.get_value(borrow=True).shape[1]
        classifier = LogisticRegression(input=x, n_in=n_in, n_out=10)
        # the cost we minimize during training is the negative log likelihood of the model in symbolic format
        cost = classifier.negative_log_likelihood(y)

        # compiling a function that computes the mistakes that are made by the model on a minibatch
        test_model = compile_function(
            inputs=[index],
            outputs=classifier.errors(y),
            givens={
                x: test_set_x[index * batch_size: (index + 1) * batch_size],
                y: test_set_y[index * batch_size: (index + 1) * batch_size],
            },
            mode=run.mode,
        )
        validate_model = compile_function(
            inputs=[index],
            outputs=classifier.errors(y),
            givens={
                x: valid_set_x[index * batch_size: (index + 1) * batch_size],
                y: valid_set_y[index * batch_size: (index + 1) * batch_size],
            },
            mode=run.mode,
        )

        # compute the gradient of cost with respect to theta = (W,b)
        g_W = pt.grad(cost=cost, wrt=classifier.W)
        g_b = pt.grad(cost=cost, wrt=classifier.b)

        # specify how to update the parameters of the model as a list of (variable, update expression) pairs
        updates = [(classifier.W, classifier.W - learning_rate * g_W),
                   (classifier.b, classifier.b - learning_rate * g_b)]

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
        # end-snippet-3

        def save_best_model():
            for param in classifier.params:  # as numpy arrays (JAX keeps them on its device): loads in every mode
                param.set_value(numpy.asarray(param.get_value(borrow=True)), borrow=True)
            save_pickle(classifier, run.path("best_model.pkl"))

        # start-snippet-4
        print("... training the model")
        result = early_stopping(train_model, n_train_batches,
                                lambda: [validate_model(i) for i in range(n_valid_batches)],
                                lambda: [test_model(i) for i in range(n_test_batches)],
                                n_epochs=n_epochs, patience=5000, on_best=save_best_model,
                                checkpoint=run.checkpoint("training"))
        # end-snippet-4
        print(("Optimization complete with best validation score of %f %%,with test performance %f %%")  # sic
              % (result.best_validation_loss * 100.0, result.test_score * 100.0))
        print("The code run for %d epochs, with %f epochs/sec" % (result.epochs, result.epochs / result.seconds))
        report_time(__file__, result.seconds, minutes=False)
        run.record.update(training=result.as_dict(), best_validation_error=result.best_validation_loss,
                          test_error=result.test_score)
    return run.record


def predict(dataset="mnist.pkl.gz", model=None, n=10, *, mode=None):
    """Load the saved model and print its predictions for the first ``n`` test images.

    :param model: the pickled model, or the run folder holding it (default: ``best_model.pkl`` of the
        newest ``runs/logistic_sgd-*/`` folder, which :func:`sgd_optimization_mnist` wrote)
    """
    check_arguments({"n": n, "model": model, "dataset": dataset})
    model = Path(model) if model else newest_run_file("logistic_sgd", "best_model.pkl")
    if model.is_dir():
        model = model / "best_model.pkl"
    try:
        with open(model, "rb") as f:
            classifier = pickle.load(f)
    except FileNotFoundError:
        raise MissingRunFile(f"{model}: no such model file; run sgd_optimization_mnist first, or name "
                             "its best_model.pkl") from None
    except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError) as error:
        raise MissingRunFile(f"{model}: not a readable model ({type(error).__name__}: {error}); run "
                             "sgd_optimization_mnist again, or name another best_model.pkl") from None
    if not isinstance(classifier, LogisticRegression):
        raise MissingRunFile(f"{model}: holds a {type(classifier).__name__}, not the LogisticRegression that "
                             "sgd_optimization_mnist saves; name its best_model.pkl")
    test_set_x, _ = load_data(dataset)[2]
    n_in, pixels = classifier.W.get_value().shape[0], test_set_x.get_value().shape[1]
    if n_in != pixels:
        raise DataError(f"{model} takes images of {n_in} pixels, the test set of {dataset} has {pixels}: give the "
                        "data it was trained on, or train a model on this data")
    if n > len(test_set_x.get_value()):
        raise ArgumentError(f"n={n} (--n): the test set of {dataset} has {len(test_set_x.get_value())} images")
    predict_model = compile_function([classifier.input], classifier.y_pred, mode=mode)
    predicted_values = predict_model(test_set_x.get_value()[:n])
    print(f"Predicted values for the first {n} examples in test set:")
    print(predicted_values)
    return predicted_values
