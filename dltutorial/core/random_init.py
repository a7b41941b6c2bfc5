"""Random streams and weight initialisation, as the tutorials draw them."""

import warnings

import numpy
import pytensor
from pytensor.tensor.random.utils import RandomStream


def random_stream(seed):
    """A symbolic random generator (Theano's ``RandomStreams``) seeded with ``seed``.

    PyTensor 3 marks ``RandomStream`` as deprecated in favour of explicit
    generator updates; it still works and keeps the tutorial's idiom (draws
    update their generator automatically), so we keep it and mute the notice.
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
