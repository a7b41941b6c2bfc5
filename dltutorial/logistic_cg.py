"""Logistic regression on MNIST trained by conjugate gradients (``scipy.optimize.fmin_cg``).

The same model as :mod:`dltutorial.logistic_sgd`, but its parameters live
in one flat shared vector ``theta`` (``W`` and ``b`` are views of it), so
that a general-purpose optimiser can work on them: each evaluation of the
cost or the gradient averages over every training minibatch.
"""

import timeit

import numpy
import pytensor
import pytensor.tensor as pt
import scipy.optimize

from .core.compile import compile_function
from .core.data import load_data
from .core.minibatches import n_batches
from .core.runs import Run
from .core.training import report_time
from .logistic_sgd import LogisticRegression


def cg_optimization_mnist(n_epochs=50, mnist_pkl_gz="mnist.pkl.gz", *, batch_size=600, output_folder=None,
                          mode=None, floatX="float32"):
    """Train logistic regression on MNIST with conjugate gradients.

    :param n_epochs: maximal number of CG iterations (each sees the whole training set)
    :param mnist_pkl_gz: the path of the MNIST dataset file (or IDX folder)
    :param batch_size: examples per compiled cost/gradient call (the tutorial's 600)

    SciPy runs the iterations, so an interrupted run starts again from the beginning.
    """
    with Run("logistic_cg", dict(n_epochs=n_epochs, mnist_pkl_gz=mnist_pkl_gz, batch_size=batch_size),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        datasets = load_data(mnist_pkl_gz)
        train_set_x, train_set_y = datasets[0]
        valid_set_x, valid_set_y = datasets[1]
        test_set_x, test_set_y = datasets[2]
        n_in = train_set_x.get_value(borrow=True).shape[1]
        n_out = 10  # number of output units

        print("... building the model")
        minibatch_offset = pt.lscalar("minibatch_offset")
        x = pt.matrix("x")
        y = pt.ivector("y")
        floatX = pytensor.config.floatX
        # start-snippet-1
        n_theta = n_in * n_out + n_out
        theta = pytensor.shared(numpy.zeros(n_theta, dtype=floatX), name="theta", borrow=True, shape=(n_theta,))
        classifier = LogisticRegression(input=x, n_in=n_in, n_out=n_out,
                                        W=theta[0: n_in * n_out].reshape((n_in, n_out)),
                                        b=theta[n_in * n_out: n_in * n_out + n_out])
        # end-snippet-1
        cost = classifier.negative_log_likelihood(y).mean()

        # these functions take the offset of the minibatch's first example, not its index
        # compile a function that computes the mistakes that are made by the model on a minibatch
        test_model = compile_function(
            [minibatch_offset],
            classifier.errors(y),
            givens={
                x: test_set_x[minibatch_offset:minibatch_offset + batch_size],
                y: test_set_y[minibatch_offset:minibatch_offset + batch_size],
            },
            name="test",
            mode=run.mode,
        )
        validate_model = compile_function(
            [minibatch_offset],
            classifier.errors(y),
            givens={
                x: valid_set_x[minibatch_offset:minibatch_offset + batch_size],
                y: valid_set_y[minibatch_offset:minibatch_offset + batch_size],
            },
            name="validate",
            mode=run.mode,
        )
        # compile a function that returns the cost of a minibatch
        batch_cost = compile_function(
            [minibatch_offset],
            cost,
            givens={
                x: train_set_x[minibatch_offset:minibatch_offset + batch_size],
                y: train_set_y[minibatch_offset:minibatch_offset + batch_size],
            },
            name="batch_cost",
            mode=run.mode,
        )
        # compile a function that returns the gradient of the minibatch with respect to theta
        batch_grad = compile_function(
            [minibatch_offset],
            pt.grad(cost, theta),
            givens={
                x: train_set_x[minibatch_offset:minibatch_offset + batch_size],
                y: train_set_y[minibatch_offset:minibatch_offset + batch_size],
            },
            name="batch_grad",
            mode=run.mode,
        )
        n_train, n_valid, n_test = (n_batches(d[0], batch_size) for d in datasets)

        costs = []  # the training cost at each evaluation by fmin_cg

        def train_fn(theta_value):
            theta.set_value(numpy.asarray(theta_value, dtype=floatX), borrow=True)
            costs.append(numpy.mean([batch_cost(i * batch_size) for i in range(n_train)], dtype="float64"))
            return costs[-1]

        def train_fn_grad(theta_value):
            theta.set_value(numpy.asarray(theta_value, dtype=floatX), borrow=True)
            grad = numpy.sum([batch_grad(i * batch_size) for i in range(n_train)], axis=0, dtype="float64")
            return grad / n_train

        validation_scores = [numpy.inf, 0]
        history = []

        def callback(theta_value):
            theta.set_value(numpy.asarray(theta_value, dtype=floatX), borrow=True)
            this_validation_loss = numpy.mean([validate_model(i * batch_size) for i in range(n_valid)])
            print("validation error %f %%" % (this_validation_loss * 100.0,))
            history.append(float(this_validation_loss))
            if this_validation_loss < validation_scores[0]:
                validation_scores[0] = this_validation_loss
                validation_scores[1] = numpy.mean([test_model(i * batch_size) for i in range(n_test)])

        # start-snippet-2
        print("Optimizing using scipy.optimize.fmin_cg...")
        start_time = timeit.default_timer()
        scipy.optimize.fmin_cg(f=train_fn, x0=numpy.zeros((n_in + 1) * n_out, dtype="float64"),
                               fprime=train_fn_grad, callback=callback, disp=0, maxiter=n_epochs)
        # end-snippet-2
        seconds = timeit.default_timer() - start_time
        print(("Optimization complete with best validation score of %f %%, with test performance %f %%")
              % (validation_scores[0] * 100.0, validation_scores[1] * 100.0))
        report_time(__file__, seconds, minutes=False)
        run.record.update(best_validation_error=float(validation_scores[0]), test_error=float(validation_scores[1]),
                          validation=history, costs=costs, training_seconds=seconds)
    return run.record
