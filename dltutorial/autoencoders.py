"""The autoencoder family of the reference texts (Hands-On ML's autoencoder chapter), as PyTensor graphs.

An autoencoder encodes its input into codings and decodes them back; what
it learns depends on what stops it from copying its input:

* :class:`Autoencoder` -- a stack of dense layers mirrored by a decoder,
  undercomplete (fewer codings than inputs).  Linear with an MSE loss it
  finds the principal subspace (PCA); with ELU layers, He initialisation,
  L2 and **tied weights** (each decoder weight matrix is the transpose of
  its encoder counterpart; biases stay untied) it is the text's stacked
  autoencoder.  ``noise`` makes it a denoising autoencoder (Gaussian noise
  or dropout on the input, only where ``is_training`` is true).
* :func:`kl_divergence` -- the sparsity loss of the sparse autoencoder.
* :class:`VariationalAutoencoder` -- the encoder gives a mean and
  :math:`\\gamma = \\log \\sigma^2` per coding; the codings are sampled from
  that Gaussian; the loss adds the KL divergence to N(0, I) ("latent loss").
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .core.random_init import pytensor_stream
from .mlp import HiddenLayer
from .core.nnet import elu


def he_normal(rng, n_in, n_out):
    """A shared weight matrix drawn as TensorFlow's ``variance_scaling_initializer()``: N(0, 2 / n_in)."""
    return pytensor.shared(rng.normal(0.0, numpy.sqrt(2.0 / n_in), (n_in, n_out)).astype(pytensor.config.floatX),
                           name="W", borrow=True)


def glorot_uniform(rng, n_in, n_out):
    """A shared weight matrix uniform in +-sqrt(6 / (n_in + n_out)): TensorFlow's default for ``fully_connected``."""
    bound = numpy.sqrt(6.0 / (n_in + n_out))
    return pytensor.shared(rng.uniform(-bound, bound, (n_in, n_out)).astype(pytensor.config.floatX), name="W",
                           borrow=True)


def input_noise(x, noise, level, is_training, theano_rng):
    """``x`` with noise where ``is_training`` is true, ``x`` itself elsewhere.

    :param noise: None, "gaussian" (add N(0, level^2)), "dropout" (zero each entry with probability
                  ``level`` and scale the rest by ``1 / (1 - level)``, as TensorFlow's dropout) or
                  "masking" (zero each entry with probability ``level``, no scaling: the dA's noise)
    """
    if noise is None:
        return x
    if noise == "gaussian":
        noisy = x + theano_rng.normal(0.0, level, size=x.shape, dtype=x.dtype)
    elif noise in ("dropout", "masking"):
        keep = pt.cast(theano_rng.uniform(size=x.shape) >= level, x.dtype)
        noisy = x * keep / (1.0 - level) if noise == "dropout" else x * keep
    else:
        raise ValueError(f"unknown noise {noise!r}; use 'gaussian', 'dropout' or 'masking'")
    return pt.switch(is_training, noisy, x)


class Autoencoder:
    """Dense encoder ``sizes[0] -> ... -> sizes[-1]`` (the codings) and its mirror image as decoder.

    ``output`` is the reconstruction, ``logits`` the last layer before
    ``output_activation`` (None: linear outputs).  ``weights`` are the
    weight matrices that are parameters (and get the L2 penalty): with tied
    weights, the encoder's only.
    """

    def __init__(self, rng, input, sizes=(784, 300, 150), activation=elu, output_activation=None, tied=True,
                 init=he_normal, noise=None, noise_level=1.0, is_training=None, seed=42):
        """
        :param rng: numpy RandomState for the initial weights
        :param input: symbolic minibatch (n_examples, sizes[0])
        :param activation: hidden units' non-linearity (None: linear, for the PCA autoencoder)
        :param init: ``init(rng, n_in, n_out)`` -> a shared weight matrix
        :param noise, noise_level: see :func:`input_noise`; ``is_training`` a symbolic 0/1 scalar
        """
        self.input = input
        self.is_training = pt.scalar("is_training", dtype="int8") if is_training is None else is_training
        layer_input = input_noise(input, noise, noise_level, self.is_training, pytensor_stream(seed))
        self.encoder = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self.encoder.append(HiddenLayer(rng, layer_input, n_in, n_out, W=init(rng, n_in, n_out),
                                            activation=activation))
            layer_input = self.encoder[-1].output
        self.codings = layer_input
        self.decoder = []
        reversed_sizes = sizes[::-1]
        for k, (n_in, n_out) in enumerate(zip(reversed_sizes[:-1], reversed_sizes[1:])):
            W = self.encoder[-1 - k].W.T if tied else init(rng, n_in, n_out)
            last = k == len(sizes) - 2
            self.decoder.append(HiddenLayer(rng, layer_input, n_in, n_out, W=W,
                                            activation=None if last else activation))
            layer_input = self.decoder[-1].output
        self.logits = layer_input
        self.output = self.logits if output_activation is None else output_activation(self.logits)
        self.weights = [layer.W for layer in self.encoder] + ([] if tied else [layer.W for layer in self.decoder])
        self.params = [p for layer in self.encoder + self.decoder for p in layer.params
                       if isinstance(p, pytensor.compile.SharedVariable)]

    def mse(self, target=None):
        """Mean squared reconstruction error over all entries (of ``input``, or ``target``)."""
        return pt.mean((self.output - (self.input if target is None else target)) ** 2)

    def cross_entropy(self, target=None):
        """Mean sigmoid cross-entropy of the logits against inputs in [0, 1] (computed stably)."""
        z, x = self.logits, self.input if target is None else target
        return pt.mean(pt.softplus(z) - x * z)

    def l2(self, l2_reg):
        """The L2 penalty of the weight matrices that are parameters (see :func:`l2_penalty`)."""
        return l2_penalty(self.weights, l2_reg)


def l2_penalty(weights, l2_reg):
    """TensorFlow's ``l2_regularizer(l2_reg)`` summed over ``weights``: ``l2_reg * sum(W^2) / 2``."""
    return l2_reg * sum((W ** 2).sum() for W in weights) / 2


# start-snippet-1
def kl_divergence(p, q):
    """KL divergence between Bernoulli(p) and Bernoulli(q), elementwise: zero exactly where ``q == p``."""
    return p * pt.log(p / q) + (1 - p) * pt.log((1 - p) / (1 - q))
    # end-snippet-1


class VariationalAutoencoder:
    """784-500-500-(20 means, 20 gammas) encoder, a sampled coding, 20-500-500-784 decoder; ELU, He init.

    ``latent_loss`` and ``reconstruction_loss`` are per-example means of
    the two ELBO terms (the text sums them over the batch; the mean only
    rescales Adam's objective, it does not change its steps).
    """

    def __init__(self, rng, input, sizes=(784, 500, 500, 20), activation=elu, seed=42):
        self.input = input
        layer_input, self.encoder = input, []
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
            self.encoder.append(HiddenLayer(rng, layer_input, n_in, n_out, W=he_normal(rng, n_in, n_out),
                                            activation=activation))
            layer_input = self.encoder[-1].output
        self.mean_layer = HiddenLayer(rng, layer_input, sizes[-2], sizes[-1], W=he_normal(rng, sizes[-2], sizes[-1]),
                                      activation=None)
        self.gamma_layer = HiddenLayer(rng, layer_input, sizes[-2], sizes[-1],
                                       W=he_normal(rng, sizes[-2], sizes[-1]), activation=None)
        # start-snippet-2
        mean, gamma = self.mean_layer.output, self.gamma_layer.output
        noise = pytensor_stream(seed).normal(0.0, 1.0, size=mean.shape, dtype=mean.dtype)
        self.codings = mean + pt.exp(0.5 * gamma) * noise
        # end-snippet-2
        self.decoder = []
        layer_input = self.codings
        reversed_sizes = sizes[::-1]
        for k, (n_in, n_out) in enumerate(zip(reversed_sizes[:-1], reversed_sizes[1:])):
            last = k == len(sizes) - 2
            self.decoder.append(HiddenLayer(rng, layer_input, n_in, n_out, W=he_normal(rng, n_in, n_out),
                                            activation=None if last else activation))
            layer_input = self.decoder[-1].output
        self.logits = layer_input
        self.output = pt.sigmoid(self.logits)
        self.params = [p for layer in self.encoder + [self.mean_layer, self.gamma_layer] + self.decoder
                       for p in layer.params]
        # start-snippet-3
        self.reconstruction_loss = (pt.softplus(self.logits) - input * self.logits).sum(axis=1).mean()
        self.latent_loss = 0.5 * (pt.exp(gamma) + mean ** 2 - 1 - gamma).sum(axis=1).mean()
        self.cost = self.reconstruction_loss + self.latent_loss
        # end-snippet-3
