"""Contractive autoencoders (cA).

A contractive autoencoder (Rifai et al., 2011) is an autoencoder with tied
weights whose cost adds to the reconstruction cross-entropy the squared
Frobenius norm of the Jacobian of the hidden representation with respect to
the input, weighted by ``contraction_level``:

.. math::
    h = s(Wx + b), \\qquad J_{ij} = \\frac{\\partial h_j}{\\partial x_i} = h_j (1 - h_j) W_{ij}

    L = - \\sum_k [x_k \\log z_k + (1 - x_k) \\log(1 - z_k)] + \\lambda \\sum_{ij} J_{ij}^2

The penalty makes the code locally insensitive to small moves of the input
in most directions, while the reconstruction keeps it sensitive along the
data: the denoising autoencoder's aim, reached analytically instead of by
corrupting the input.
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .core.compile import compile_function
from .core.data import image_side, load_data
from .core.minibatches import n_batches
from .core.plots import save_filters
from .core.random_init import sigmoid_weights
from .core.runs import Run
from .core.training import report_time, train_epochs


class cA:
    """Contractive autoencoder with tied weights (``W_prime = W.T``)."""

    def __init__(self, numpy_rng, input=None, n_visible=784, n_hidden=100, n_batchsize=1, W=None, bhid=None,
                 bvis=None):
        """
        :type numpy_rng: numpy.random.RandomState
        :param numpy_rng: number random generator used to generate weights
        :param input: a symbolic minibatch of inputs (None: a new matrix)
        :param n_visible: number of visible units
        :param n_hidden: number of hidden units
        :param n_batchsize: number of examples per minibatch (the Jacobian's first axis)
        :param W, bhid, bvis: shared weights and biases to use (None: new ones)
        """
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.n_batchsize = n_batchsize
        floatX = pytensor.config.floatX
        if W is None:
            W = sigmoid_weights(numpy_rng, n_visible, n_hidden)
        if bvis is None:
            bvis = pytensor.shared(numpy.zeros(n_visible, dtype=floatX), name="b_prime", borrow=True)
        if bhid is None:
            bhid = pytensor.shared(numpy.zeros(n_hidden, dtype=floatX), name="b", borrow=True)
        self.W = W
        self.b = bhid  # bias of the hidden units
        self.b_prime = bvis  # bias of the visible units
        self.W_prime = self.W.T  # tied weights
        self.x = pt.matrix(name="input") if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_hidden_values(self, input):
        """The hidden representation ``sigmoid(dot(input, W) + b)``."""
        return pt.sigmoid(pt.dot(input, self.W) + self.b)

    # start-snippet-1
    def get_jacobian(self, hidden, W):
        """The Jacobian of each example's code: ``(n_batchsize, n_visible, n_hidden)``.

        ``J[n, i, j] = h[n, j] (1 - h[n, j]) W[i, j]``, by broadcasting.
        """
        return (pt.reshape(hidden * (1 - hidden), (self.n_batchsize, 1, self.n_hidden))
                * pt.reshape(W, (1, self.n_visible, self.n_hidden)))
        # end-snippet-1

    def get_reconstructed_input(self, hidden):
        """The reconstruction ``sigmoid(dot(hidden, W') + b')``."""
        return pt.sigmoid(pt.dot(hidden, self.W_prime) + self.b_prime)

    # start-snippet-2
    def get_cost_updates(self, contraction_level, learning_rate):
        """Return the cost and the SGD updates of one training step.

        Sets ``self.L_rec`` (each example's reconstruction cross-entropy) and
        ``self.L_jacob`` (the Jacobian's squared norm, averaged over the minibatch).
        """
        y = self.get_hidden_values(self.x)
        z = self.get_reconstructed_input(y)
        J = self.get_jacobian(y, self.W)
        self.L_rec = -pt.sum(self.x * pt.log(z) + (1 - self.x) * pt.log(1 - z), axis=1)
        self.L_jacob = pt.sum(J ** 2) / self.n_batchsize
        cost = pt.mean(self.L_rec) + contraction_level * pt.mean(self.L_jacob)
        gparams = pt.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam) for param, gparam in zip(self.params, gparams)]
        return cost, updates
        # end-snippet-2


def test_cA(learning_rate=0.01, training_epochs=20, dataset="mnist.pkl.gz", batch_size=10, output_folder=None,
            contraction_level=0.1, *, seed=123, mode=None, floatX="float32"):
    """Train a 500-unit cA on MNIST and save its filters as ``cae_filters.png``.

    Each epoch prints the mean reconstruction cost and the mean Jacobian
    norm over the epoch's minibatches.  (The original printed the mean of
    the first minibatch's two numbers by mistake: ``numpy.mean(c_array[0])``.)
    The filters and results.json go to ``output_folder`` (default: a new
    ``runs/cA-<timestamp>/``; the original's was ``cA_plots``).  ``seed`` seeds the
    initial weights (the original's 123).
    """
    with Run("cA", dict(learning_rate=learning_rate, training_epochs=training_epochs, dataset=dataset,
                        batch_size=batch_size, contraction_level=contraction_level, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        datasets = load_data(dataset)
        train_set_x, _ = datasets[0]
        image_side(train_set_x, dataset)  # the filters are drawn as square pictures
        n_train_batches = n_batches(train_set_x, batch_size)
        n_visible = train_set_x.get_value(borrow=True).shape[1]
        index = pt.lscalar("index")
        x = pt.matrix("x")

        rng = numpy.random.RandomState(seed)
        ca = cA(numpy_rng=rng, input=x, n_visible=n_visible, n_hidden=500, n_batchsize=batch_size)
        cost, updates = ca.get_cost_updates(contraction_level=contraction_level, learning_rate=learning_rate)
        # start-snippet-3
        train_ca = compile_function(
            [index],
            [pt.mean(ca.L_rec), pt.sqrt(ca.L_jacob)],
            updates=updates,
            givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]},
            name="train_ca",
            mode=run.mode,
        )
        # end-snippet-3

        costs = train_epochs(train_ca, n_train_batches, training_epochs,
                             line="Training epoch {epoch}, reconstruction cost  {cost[0]}  jacobian norm  {cost[1]}",
                             checkpoint=run.checkpoint("training"))
        run.record["reconstruction_costs"] = [c[0] for c in costs]
        run.record["jacobian_norms"] = [c[1] for c in costs]
        run.record["training_seconds"] = costs.seconds
        report_time(__file__, run.record["training_seconds"])
        save_filters(ca.W.get_value(borrow=True), run.path("cae_filters.png"))
    return run.record


test_cA.__test__ = False  # an entry function, not a test: pytest must not collect it
