"""Random streams and weight initialisation, as the tutorials draw them."""

import warnings

import numpy
import pytensor
from pytensor.tensor.random.utils import RandomStream

from .rng_mrg import MRG_RandomStreams


def random_stream(seed):
    """The tutorials' symbolic random generator: Theano's ``MRG_RandomStreams`` seeded with ``seed``.

    MRG31k3p, drawn by compiled ops in every mode, gives the numbers the
    original tutorials drew (:mod:`dltutorial.core.rng_mrg`).  Every model
    takes its generator as ``theano_rng``: pass :func:`pytensor_stream` there
    to draw from numpy's PCG64 instead.
    """
    return MRG_RandomStreams(seed)


def pytensor_stream(seed):
    """PyTensor's own symbolic generator (numpy's PCG64) seeded with ``seed``.

    What the autoencoders of the reference texts draw from: they have no
    Theano original whose numbers MRG31k3p could reproduce.  PyTensor 3
    marks ``RandomStream`` as deprecated in favour of explicit generator
    updates; it still works and keeps the tutorials' idiom (draws update
    their generator automatically), so we keep it and mute the notice.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return RandomStream(seed)


def sigmoid_weights(numpy_rng, n_visible, n_hidden):
    """A shared ``W`` (n_visible x n_hidden), uniform in +-4*sqrt(6/(n_visible+n_hidden)).

    Glorot and Bengio's range for sigmoid units, as the dA, cA and RBM tutorials draw it.
    """
    bound = 4 * numpy.sqrt(6.0 / (n_hidden + n_visible))
    initial_W = numpy_rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden))
    return pytensor.shared(numpy.asarray(initial_W, dtype=pytensor.config.floatX), name="W", borrow=True)
