"""Compiling the tutorials' training and evaluation steps, each with the mode it is given."""

import numpy
import pytensor
import pytensor.tensor as pt

from .compile import compile_function
from .minibatches import minibatch_givens, n_batches
from .updates import adam


def build_evaluators(index, batch_size, x, y, errors, datasets, mode=None):
    """Compile the validation and test error functions.

    Returns two Python functions ``validate()`` and ``test()`` that return
    the list of errors of every minibatch of the validation and test sets.
    """
    scorers = []
    for set_x, set_y in datasets[1:]:
        fn = compile_function([index], errors, mode=mode,
                              givens=minibatch_givens(index, batch_size, (x, set_x), (y, set_y)))
        count = n_batches(set_x, batch_size)
        scorers.append(lambda fn=fn, count=count: [fn(i) for i in range(count)])
    return scorers


def sgd_training_function(index, batch_size, x, y, cost, params, learning_rate, train_set, mode=None):
    """Compile ``train_model(index)``: one SGD step on minibatch ``index``, returning the cost."""
    gparams = [pt.grad(cost, param) for param in params]
    updates = [(param, param - learning_rate * gparam) for param, gparam in zip(params, gparams)]
    return compile_function([index], cost, updates=updates, mode=mode,
                            givens=minibatch_givens(index, batch_size, (x, train_set[0]), (y, train_set[1])))


class CachedInputFunction:
    """A layer's pretraining function that reads its input from cached codes.

    The codes of the layer below are computed for the whole training set at
    the first call (by then the layers below are trained); call
    :meth:`refresh_codes` if the layers below change again afterwards.
    """

    def __init__(self, fn, codes, encode):
        self.fn = fn
        self.codes = codes
        self.encode = encode
        self.fresh = False

    def refresh_codes(self):
        """Recompute the cached codes from the current lower layers."""
        self.codes.set_value(self.encode(), borrow=True)
        self.fresh = True

    def __call__(self, *args, **kwargs):
        if not self.fresh:
            self.refresh_codes()
        return self.fn(*args, **kwargs)


def empty_codes(n_columns):
    """An empty floatX shared matrix with ``n_columns`` columns, to be filled later."""
    return pytensor.shared(numpy.zeros((0, n_columns), dtype=pytensor.config.floatX), name="codes",
                           shape=(None, n_columns))


def compile_pretraining_step(inputs, cost, updates, defaults, batch_size, *, layer_input, n_visible,
                             network_input, train_set_x, cache_codes, name=None, mode=None):
    """Compile one layer's pretraining step (SdA, DBN); ``inputs[0]`` is the minibatch index.

    A layer above the first reads ``layer_input``, a deterministic function
    of the network's input.  With ``cache_codes`` its minibatches come from
    the codes of the whole training set, computed once by the layers below
    (a :class:`CachedInputFunction`); otherwise every step recomputes them
    from ``train_set_x``.  Both give the same costs.
    """
    index = inputs[0]
    if not cache_codes or layer_input is network_input:
        return compile_function(inputs, cost, updates=updates, defaults=defaults, name=name, mode=mode,
                                givens=minibatch_givens(index, batch_size, (network_input, train_set_x)))
    codes = empty_codes(n_visible)
    fn = compile_function(inputs, cost, updates=updates, defaults=defaults, name=name, mode=mode,
                          givens=minibatch_givens(index, batch_size, (layer_input, codes)))
    encode = compile_function([], layer_input, givens={network_input: train_set_x}, mode=mode)
    return CachedInputFunction(fn, codes, encode)


def adam_step(cost, params, x, data_x, batch_size, learning_rate, givens=None, name=None, mode=None):
    """Compile ``step(index)``: one Adam step on minibatch ``index`` of ``data_x``, returning the cost."""
    index = pt.lscalar("index")
    all_givens = minibatch_givens(index, batch_size, (x, data_x))
    all_givens.update(givens or {})
    return compile_function([index], cost, updates=adam(cost, params, lr=learning_rate), givens=all_givens,
                            name=name, mode=mode)


def evaluate(outputs, x, data_x, givens=None, mode=None):
    """Compile and compute ``outputs`` on the whole of ``data_x`` (no noise: ``givens`` can switch it off)."""
    return compile_function([], outputs, givens={x: data_x, **(givens or {})}, mode=mode)()
