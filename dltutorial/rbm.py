"""Restricted Boltzmann machines (RBM), trained by contrastive divergence.

An RBM is an energy-based model of binary visible units ``v`` and hidden
units ``h`` with no visible-visible or hidden-hidden connections:

.. math::
    E(v, h) = -b'v - c'h - h'Wv, \\qquad p(v) = \\sum_h e^{-E(v, h)} / Z

Summing out the hidden units gives the *free energy*
:math:`F(v) = -b'v - \\sum_i \\log(1 + e^{c_i + (vW)_i})`, with
:math:`p(v) = e^{-F(v)} / Z`.  The units are conditionally independent
given the other layer: :math:`p(h_i = 1 | v) = \\mathrm{sigm}(c_i + (vW)_i)`
and :math:`p(v_j = 1 | h) = \\mathrm{sigm}(b_j + (W h)_j)`, so Gibbs
sampling alternates whole layers.

The log-likelihood gradient is the difference of the free energy's gradient
at the data (positive phase) and in expectation under the model (negative
phase).  *Contrastive divergence* (CD-k) estimates the negative phase with
a Gibbs chain of ``k`` steps started at the training example; *persistent*
CD (PCD-k) keeps one chain running across updates instead (Tieleman, 2008).
The chain is written with ``pytensor.scan``.
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .core.compile import compile_function
from .core.data import image_side, load_data
from .core.errors import ArgumentError
from .core.minibatches import n_batches
from .core.modes import compile_mode
from .core.plots import save_filters, save_image
from .core.random_init import random_stream, sigmoid_weights
from .core.runs import Run
from .core.training import train_epochs
from .utils import tile_raster_images


class RBM:
    """Restricted Boltzmann machine with binary units."""

    def __init__(self, input=None, n_visible=784, n_hidden=500, W=None, hbias=None, vbias=None,
                 numpy_rng=None, theano_rng=None):
        """
        :param input: a symbolic minibatch (None: a new matrix), or the layer
                      below's output when the RBM is part of a DBN
        :param n_visible: number of visible units
        :param n_hidden: number of hidden units
        :param W, hbias, vbias: shared weights and biases to use, so that the
                                RBM can share them with an MLP layer (DBN)
        :param numpy_rng: draws the initial weights (None: ``RandomState(1234)``)
        :param theano_rng: symbolic random generator for the Gibbs samples
                           (None: one seeded from ``numpy_rng``)
        """
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        floatX = pytensor.config.floatX
        if numpy_rng is None:
            numpy_rng = numpy.random.RandomState(1234)
        if theano_rng is None:
            theano_rng = random_stream(numpy_rng.randint(2 ** 30))
        if W is None:
            W = sigmoid_weights(numpy_rng, n_visible, n_hidden)
        if hbias is None:
            hbias = pytensor.shared(numpy.zeros(n_hidden, dtype=floatX), name="hbias", borrow=True)
        if vbias is None:
            vbias = pytensor.shared(numpy.zeros(n_visible, dtype=floatX), name="vbias", borrow=True)
        self.input = pt.matrix("input") if input is None else input
        self.W = W
        self.hbias = hbias
        self.vbias = vbias
        self.theano_rng = theano_rng
        self.params = [self.W, self.hbias, self.vbias]

    # start-snippet-1
    def free_energy(self, v_sample):
        """The free energy F(v) of each row of ``v_sample``."""
        wx_b = pt.dot(v_sample, self.W) + self.hbias
        vbias_term = pt.dot(v_sample, self.vbias)
        hidden_term = pt.sum(pt.softplus(wx_b), axis=1)  # log(1 + exp(wx_b)), without overflow
        return -hidden_term - vbias_term
        # end-snippet-1

    # start-snippet-2
    def propup(self, vis):
        """The hidden units' pre-sigmoid activation and mean given ``vis``."""
        pre_sigmoid_activation = pt.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, pt.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample):
        """Pre-sigmoid activation, mean and a binary sample of the hidden units given the visibles."""
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        h1_sample = self._bernoulli(h1_mean)
        return [pre_sigmoid_h1, h1_mean, h1_sample]
        # end-snippet-2

    def propdown(self, hid):
        """The visible units' pre-sigmoid activation and mean given ``hid``."""
        pre_sigmoid_activation = pt.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, pt.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample):
        """Pre-sigmoid activation, mean and a binary sample of the visible units given the hiddens."""
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = self._bernoulli(v1_mean)
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    def _bernoulli(self, mean):
        """A 0/1 sample of ``mean``'s shape, in floatX (the tutorial's ``binomial(n=1, p=mean)``)."""
        return pt.cast(self.theano_rng.binomial(n=1, p=mean, size=mean.shape), pytensor.config.floatX)

    def gibbs_hvh(self, h0_sample):
        """One Gibbs step from the hidden state: h -> v -> h."""
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

    def gibbs_vhv(self, v0_sample):
        """One Gibbs step from the visible state: v -> h -> v."""
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v0_sample)
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h1_sample)
        return [pre_sigmoid_h1, h1_mean, h1_sample, pre_sigmoid_v1, v1_mean, v1_sample]

    def get_cost_updates(self, lr=0.1, persistent=None, k=1, *, mode=None):
        """One step of CD-k, or of PCD-k when ``persistent`` holds the chain.

        :param lr: learning rate
        :param persistent: None for CD-k; for PCD-k, a shared matrix
            (batch size x n_hidden) holding the chain's hidden state, which
            the updates carry from call to call
        :param k: number of Gibbs steps of the negative phase
        :param mode: the compile mode the Gibbs chain's scan is compiled with (None: the default)
        :returns: a monitoring cost (pseudo-likelihood for PCD, reconstruction
            cross-entropy for CD) and the updates: the parameters, the
            random generators and, for PCD, the chain
        """
        # start-snippet-3
        pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)
        chain_start = ph_sample if persistent is None else persistent
        # the scan runs the k Gibbs steps; None marks outputs that are not fed back
        (pre_sigmoid_nvs, nv_means, nv_samples, pre_sigmoid_nhs, nh_means, nh_samples), updates = pytensor.scan(
            self.gibbs_hvh, outputs_info=[None, None, None, None, None, chain_start], n_steps=k, name="gibbs_hvh",
            mode=compile_mode(mode))
        chain_end = nv_samples[-1]
        cost = pt.mean(self.free_energy(self.input)) - pt.mean(self.free_energy(chain_end))
        # the gradient must not flow through the Gibbs sampling
        gparams = pt.grad(cost, self.params, consider_constant=[chain_end])
        for gparam, param in zip(gparams, self.params):
            updates[param] = param - gparam * pt.cast(lr, dtype=pytensor.config.floatX)
        if persistent is not None:
            updates[persistent] = nh_samples[-1]
            monitoring_cost = self.get_pseudo_likelihood_cost(updates)
        else:
            monitoring_cost = self.get_reconstruction_cost(updates, pre_sigmoid_nvs[-1])
        return monitoring_cost, updates
        # end-snippet-3

    def get_pseudo_likelihood_cost(self, updates):
        """Stochastic approximation of the pseudo-log-likelihood (PCD's proxy).

        Each call uses one visible bit ``i`` (cycling through them via a
        shared index added to ``updates``): ``n_visible * log p(x_i | x_-i)``,
        with :math:`p(x_i | x_{-i}) = \\mathrm{sigm}(F(\\tilde x) - F(x))` where
        :math:`\\tilde x` is ``x`` with bit ``i`` flipped.
        """
        # start-snippet-4
        bit_i_idx = pytensor.shared(0, name="bit_i_idx")
        xi = pt.round(self.input)  # binarise the input
        fe_xi = self.free_energy(xi)
        xi_flip = pt.set_subtensor(xi[:, bit_i_idx], 1 - xi[:, bit_i_idx])
        fe_xi_flip = self.free_energy(xi_flip)
        cost = pt.mean(self.n_visible * pt.log(pt.sigmoid(fe_xi_flip - fe_xi)))
        updates[bit_i_idx] = (bit_i_idx + 1) % self.n_visible
        return cost
        # end-snippet-4

    def get_reconstruction_cost(self, updates, pre_sigmoid_nv):
        """Mean reconstruction log-likelihood of the chain's end (CD's proxy).

        It takes the pre-sigmoid activation so that ``log(sigmoid(.))`` is
        built outside the scan, where PyTensor rewrites it into a stable
        softplus (inside, a saturated sigmoid would give log(0)).
        """
        return pt.mean(pt.sum(self.input * pt.log(pt.sigmoid(pre_sigmoid_nv))
                              + (1 - self.input) * pt.log(1 - pt.sigmoid(pre_sigmoid_nv)), axis=1))


def sampling_function(rbm, chain, plot_every, mode=None):
    """Compile ``sample_fn()``: ``plot_every`` Gibbs steps of the persistent ``chain`` (v -> h -> v).

    Returns the visible means (for plotting) and samples at the last step; the
    samples become the chain's new state.
    """
    (_, _, _, _, vis_mfs, vis_samples), updates = pytensor.scan(
        rbm.gibbs_vhv, outputs_info=[None, None, None, None, None, chain], n_steps=plot_every, name="gibbs_vhv",
        mode=compile_mode(mode))
    updates[chain] = vis_samples[-1]
    return compile_function([], [vis_mfs[-1], vis_samples[-1]], updates=updates, name="sample_fn", mode=mode)


def test_rbm(learning_rate=0.1, training_epochs=15, dataset="mnist.pkl.gz", batch_size=20, n_chains=20,
             n_samples=10, output_folder=None, n_hidden=500, *, plot_every=1000, seed=123, mode=None,
             floatX="float32"):
    """Train an RBM on MNIST with PCD-15, then sample from it.

    Writes ``filters_at_epoch_%i.png`` after each epoch and ``samples.png``
    (``n_samples`` rows of ``n_chains`` chains, ``plot_every`` Gibbs steps
    apart) into ``output_folder`` (default: a new ``runs/rbm-<timestamp>/``;
    the original's was ``rbm_plots``), with ``results.json`` (the
    pseudo-likelihood cost of each epoch and the training time).  ``seed``
    seeds the initial weights (the original's 123); the symbolic stream's seed is drawn from it, as the original's.
    """
    with Run("rbm", dict(learning_rate=learning_rate, training_epochs=training_epochs, dataset=dataset,
                         batch_size=batch_size, n_chains=n_chains, n_samples=n_samples, n_hidden=n_hidden,
                         plot_every=plot_every, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        datasets = load_data(dataset)
        train_set_x, _ = datasets[0]
        test_set_x, _ = datasets[2]
        n_train_batches = n_batches(train_set_x, batch_size)
        n_visible = train_set_x.get_value(borrow=True).shape[1]
        side = image_side(train_set_x, dataset)
        n_test = test_set_x.get_value(borrow=True).shape[0]
        if n_chains >= n_test:
            raise ArgumentError(f"n_chains={n_chains} (--n-chains): the sampling chains start from distinct test "
                                f"images, so it must be below the test set's {n_test}")
        index = pt.lscalar("index")
        x = pt.matrix("x")

        rng = numpy.random.RandomState(seed)
        theano_rng = random_stream(rng.randint(2 ** 30))
        # start-snippet-5
        # the persistent chain's state: the hidden layer
        persistent_chain = pytensor.shared(numpy.zeros((batch_size, n_hidden), dtype=pytensor.config.floatX),
                                           borrow=True)
        rbm = RBM(input=x, n_visible=n_visible, n_hidden=n_hidden, numpy_rng=rng, theano_rng=theano_rng)
        cost, updates = rbm.get_cost_updates(lr=learning_rate, persistent=persistent_chain, k=15, mode=run.mode)
        train_rbm = compile_function(
            [index],
            cost,
            updates=updates,
            givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]},
            name="train_rbm",
            mode=run.mode,
        )
        # end-snippet-5

        def save_epoch_filters(epoch):
            save_filters(rbm.W.get_value(borrow=True), run.path("filters_at_epoch_%i.png" % epoch))

        run.record["epoch_costs"] = train_epochs(train_rbm, n_train_batches, training_epochs,
                                                 line="Training epoch {epoch}, cost is  {cost}",
                                                 checkpoint=run.checkpoint("training"), on_epoch=save_epoch_filters)
        training_time = run.record["epoch_costs"].seconds  # the plotting is not counted
        print("Training took %f minutes" % (training_time / 60.0))
        run.record["training_seconds"] = training_time

        # start the sampling chains from random test examples
        test_idx = rng.randint(n_test - n_chains)
        persistent_vis_chain = pytensor.shared(numpy.asarray(
            numpy.asarray(test_set_x.get_value(borrow=True))[test_idx:test_idx + n_chains],
            dtype=pytensor.config.floatX))
        sample_fn = sampling_function(rbm, persistent_vis_chain, plot_every, mode=run.mode)
        image_data = numpy.zeros(((side + 1) * n_samples + 1, (side + 1) * n_chains - 1), dtype="uint8")
        for idx in range(n_samples):
            # successive samples are too correlated: plot one every `plot_every` steps
            vis_mf, _ = sample_fn()
            print(" ... plotting sample %d" % idx)
            image_data[(side + 1) * idx:(side + 1) * idx + side, :] = tile_raster_images(
                X=numpy.asarray(vis_mf), img_shape=(side, side), tile_shape=(1, n_chains), tile_spacing=(1, 1))
        save_image(image_data, run.path("samples.png"))
    return run.record


test_rbm.__test__ = False  # an entry function, not a test: pytest must not collect it
