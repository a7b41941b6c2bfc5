"""Denoising autoencoders (dA).

An autoencoder maps an input :math:`x \\in [0,1]^d` to a hidden
representation :math:`y = s(Wx + b)` and maps it back to a reconstruction
:math:`z = s(W'y + b')`, here with tied weights :math:`W' = W^T`.  It is
trained to minimise the reconstruction cross-entropy

.. math::
    L_H(x, z) = - \\sum_{k=1}^d [x_k \\log z_k + (1 - x_k) \\log(1 - z_k)]

The *denoising* autoencoder first corrupts the input, setting a random
fraction ``corruption_level`` of its entries to zero, and must reconstruct
the clean input from the corrupted one: it cannot simply learn the
identity, and it learns features that capture the dependencies between
inputs (Vincent et al., 2008).
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .core.compile import compile_function
from .core.data import image_side, load_data
from .core.minibatches import n_batches
from .core.plots import save_filters
from .core.random_init import random_stream, sigmoid_weights
from .core.runs import Run
from .core.training import report_time, train_epochs


class dA:
    """A denoising autoencoder with tied weights (``W_prime = W.T``)."""

    def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=784, n_hidden=500,
                 W=None, bhid=None, bvis=None):
        """
        :type numpy_rng: numpy.random.RandomState
        :param numpy_rng: number random generator used to generate weights
        :type theano_rng: dltutorial.core.rng_mrg.MRG_RandomStreams (or PyTensor's RandomStream)
        :param theano_rng: symbolic random generator for the corruption; by
                           default one seeded from ``numpy_rng`` (the name
                           is the tutorial's, so its calls run unchanged)
        :param input: a symbolic minibatch of inputs (None: a new matrix)
        :param n_visible: number of visible units
        :param n_hidden: number of hidden units
        :param W, bhid, bvis: shared weights and biases to use, so that a dA
                              can share its parameters with an MLP layer (SdA)
        """
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        floatX = pytensor.config.floatX
        if theano_rng is None:
            theano_rng = random_stream(numpy_rng.randint(2 ** 30))
        if W is None:
            W = sigmoid_weights(numpy_rng, n_visible, n_hidden)
        if bvis is None:
            bvis = pytensor.shared(value=numpy.zeros(n_visible, dtype=floatX), name="b_prime", borrow=True)
        if bhid is None:
            bhid = pytensor.shared(value=numpy.zeros(n_hidden, dtype=floatX), name="b", borrow=True)
        self.W = W
        self.b = bhid  # bias of the hidden units
        self.b_prime = bvis  # bias of the visible units
        self.W_prime = self.W.T  # tied weights
        self.theano_rng = theano_rng
        self.x = pt.matrix(name="input") if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    # start-snippet-1
    def get_corrupted_input(self, input, corruption_level):
        """Zero a random ``corruption_level`` fraction of ``input`` (binomial masking noise).

        Each entry is kept with probability ``1 - corruption_level``; the
        mask is drawn from ``theano_rng`` at every call of the compiled function.
        """
        keep = self.theano_rng.binomial(n=1, p=1 - corruption_level, size=input.shape)
        return pt.cast(keep, pytensor.config.floatX) * input
        # end-snippet-1

    # start-snippet-2
    def get_hidden_values(self, input):
        """The hidden representation ``sigmoid(dot(input, W) + b)``."""
        return pt.sigmoid(pt.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        """The reconstruction ``sigmoid(dot(hidden, W') + b')``."""
        return pt.sigmoid(pt.dot(hidden, self.W_prime) + self.b_prime)
        # end-snippet-2

    # start-snippet-3
    def get_cost_updates(self, corruption_level, learning_rate):
        """Return the symbolic cost and the SGD updates for one step of training."""
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        # cross-entropy of each example's reconstruction, then the minibatch mean
        L = -pt.sum(self.x * pt.log(z) + (1 - self.x) * pt.log(1 - z), axis=1)
        cost = pt.mean(L)
        gparams = pt.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam) for param, gparam in zip(self.params, gparams)]
        return cost, updates
        # end-snippet-3


def test_dA(learning_rate=0.1, training_epochs=15, dataset="mnist.pkl.gz", batch_size=20,
            output_folder=None, *, seed=123, mode=None, floatX="float32"):
    """Train a dA on MNIST without and with 30 % corruption and save their filters.

    :param learning_rate: learning rate used for training the dA
    :param training_epochs: number of epochs used for training
    :param dataset: path to the MNIST dataset file (or IDX folder)
    :param output_folder: where ``filters_corruption_0.png``, ``filters_corruption_30.png``
        and results.json go (default: a new ``runs/dA-<timestamp>/``; the original's was ``dA_plots``)
    :param seed: seeds each dA's initial weights (the original's 123); the symbolic stream's seed is drawn from it, as the original's
    """
    with Run("dA", dict(learning_rate=learning_rate, training_epochs=training_epochs, dataset=dataset,
                        batch_size=batch_size, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        datasets = load_data(dataset)
        train_set_x, _ = datasets[0]
        image_side(train_set_x, dataset)  # the filters are drawn as square pictures
        n_train_batches = n_batches(train_set_x, batch_size)
        n_visible = train_set_x.get_value(borrow=True).shape[1]
        index = pt.lscalar("index")
        x = pt.matrix("x")

        # start-snippet-4
        for corruption in (0.0, 0.3):
            percent = int(corruption * 100)
            rng = numpy.random.RandomState(seed)
            theano_rng = random_stream(rng.randint(2 ** 30))
            da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=n_visible, n_hidden=500)
            cost, updates = da.get_cost_updates(corruption_level=corruption, learning_rate=learning_rate)
            train_da = compile_function(
                [index],
                cost,
                updates=updates,
                givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]},
                mode=run.mode,
            )
            costs = train_epochs(train_da, n_train_batches, training_epochs,
                                 line="Training epoch {epoch}, cost  {cost}",
                                 checkpoint=run.checkpoint(f"corruption{percent}"))
            # end-snippet-4
            training_time = costs.seconds
            label = f"{percent}% corruption" if corruption else "no corruption"
            report_time(__file__, training_time, what=f"{label} code")
            name = f"filters_corruption_{percent}.png"
            save_filters(da.W.get_value(borrow=True), run.path(name))
            run.record.setdefault("training", []).append(
                {"corruption": corruption, "epoch_costs": costs, "seconds": training_time, "filters": name})
    return run.record


test_dA.__test__ = False  # an entry function, not a test: pytest must not collect it
