"""Reference text 003's MLP: ReLU hidden layers, a softmax, an L2 penalty, trained by Adadelta.

The text builds it step by step in Theano: :func:`~dltutorial.core.updates.adadelta`
(learning rate 0.1, rho 0.95, epsilon 1e-5) as the update rule, hidden
layers of 1000 and 1000 ReLU units (weights uniform in
:math:`\\pm\\sqrt{6/(n_{in}+n_{out})}`), a softmax layer starting at zero,
the cross-entropy plus ``reg`` times the summed squared weights, and
minibatches of 100 from a training set shuffled at every epoch.  Its run
passes ``reg = 0.0``; so does our default.
"""

import numpy
import pytensor.tensor as pt

from .core.checkpoints import Kept
from .core.compile import compile_function
from .core.data import load_data
from .core.minibatches import Shuffler, minibatch_givens, n_batches
from .core.nnet import relu
from .core.plots import save_curves
from .core.runs import Run
from .core.steps import build_evaluators
from .core.training import train_epochs
from .core.updates import adadelta
from .logistic_sgd import LogisticRegression
from .mlp import HiddenLayer


# start-snippet-1
class ReluMLP:
    """ReLU hidden layers of sizes ``n_hiddens`` under a softmax layer (zero-initialised)."""

    def __init__(self, rng, input, n_input, n_hiddens, n_output):
        self.hidden_layers, layer_input, n_in = [], input, n_input
        for n_hidden in n_hiddens:
            self.hidden_layers.append(HiddenLayer(rng, layer_input, n_in, n_hidden, activation=relu))
            layer_input, n_in = self.hidden_layers[-1].output, n_hidden
        self.output_layer = LogisticRegression(layer_input, n_in, n_output)
        self.params = [p for layer in self.hidden_layers for p in layer.params] + self.output_layer.params
        self.L2_sqr = sum((layer.W ** 2).sum() for layer in self.hidden_layers + [self.output_layer])

    def get_cost_updates(self, y, lr, reg, rho=0.95, epsilon=1e-5):
        """The cross-entropy plus ``reg`` times the squared weights, and the Adadelta updates."""
        cost = self.output_layer.negative_log_likelihood(y) + reg * self.L2_sqr
        return cost, adadelta(cost, self.params, lr=lr, rho=rho, epsilon=epsilon)
        # end-snippet-1


def mlp_adadelta(n_epochs=20, batch_size=100, n_hiddens=(1000, 1000), learning_rate=0.1, rho=0.95, epsilon=1e-5,
                 reg=0.0, dataset="mnist.pkl.gz", seed=1234, *, output_folder=None, mode=None, floatX="float32"):
    """Train text 003's MLP on MNIST; report the validation and test error after every epoch."""
    with Run("mlp_adadelta", dict(n_epochs=n_epochs, batch_size=batch_size, n_hiddens=n_hiddens,
                                  learning_rate=learning_rate, rho=rho, epsilon=epsilon, reg=reg, dataset=dataset,
                                  seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        record = run.record
        datasets = load_data(dataset)
        train_x, train_y = datasets[0]
        x, y, index = pt.matrix("x"), pt.ivector("y"), pt.lscalar("index")
        rng = numpy.random.RandomState(seed)
        model = ReluMLP(rng, x, train_x.get_value(borrow=True).shape[1], list(n_hiddens), 10)
        cost, updates = model.get_cost_updates(y, learning_rate, reg, rho, epsilon)
        step = compile_function([index], cost, updates=updates, name="train_model", mode=run.mode,
                                givens=minibatch_givens(index, batch_size, (x, train_x), (y, train_y)))
        validate, test = build_evaluators(index, batch_size, x, y, model.output_layer.errors(y), datasets,
                                          mode=run.mode)
        record["validation_errors"], record["test_errors"] = [], []
        shuffler = Shuffler(rng, train_x, train_y)

        def after_epoch(epoch):
            record["validation_errors"].append(float(numpy.mean(validate())))
            record["test_errors"].append(float(numpy.mean(test())))
            print("epoch %i, validation error %f %%, test error %f %%"
                  % (epoch, 100 * record["validation_errors"][-1], 100 * record["test_errors"][-1]))
            shuffler.shuffle()

        shuffler.shuffle()
        record["costs"] = train_epochs(step, n_batches(train_x, batch_size), n_epochs, on_epoch=after_epoch,
                                       line="training epoch {epoch}, cost {cost:f}",
                                       checkpoint=run.checkpoint("training"),
                                       also_save=[shuffler, Kept(record, "validation_errors", "test_errors")])
        epochs = numpy.arange(n_epochs)
        save_curves({"validation": (epochs, 100 * numpy.array(record["validation_errors"])),
                     "test": (epochs, 100 * numpy.array(record["test_errors"]))}, run.path("errors.png"),
                    title="ReLU MLP [%s], Adadelta" % ", ".join(map(str, n_hiddens)))
    return run.record
