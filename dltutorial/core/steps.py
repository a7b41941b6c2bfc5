"""Compiled steps that no chapter teaches: cached codes for the stacks, the extras' Adam steps, whole-set values."""

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
    """A layer's pretraining function that reads its input from cached codes (see :func:`with_cached_codes`).

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


def with_cached_codes(fn, layer_input, network_input, train_set_x, width):
    """Compile ``fn`` again to read ``layer_input`` (``width`` columns) from codes of the whole training set, computed once.

    ``fn`` is a layer's pretraining function, compiled with the ``givens``
    ``{network_input: train_set_x[batch_begin: batch_end]}``; the layer reads
    ``layer_input``, a deterministic function of the network's input while the
    layers below stay fixed.  The variant takes the same slice of the codes
    instead, so its costs are ``fn``'s, without recomputing the layers below
    at every step (the speed-up the SdA tutorial suggests).  Returns a
    :class:`CachedInputFunction`.
    """
    arguments = dict(fn.arguments)
    mode = arguments["mode"]
    codes = empty_codes(width)
    givens = dict(arguments["givens"])
    minibatch = givens.pop(network_input)
    sliced, *bounds = minibatch.owner.inputs  # train_set_x[batch_begin: batch_end]
    if sliced is not train_set_x:
        raise ValueError("with_cached_codes: fn's givens must give network_input a slice of train_set_x")
    givens[layer_input] = minibatch.owner.op(codes, *bounds)
    arguments["givens"] = givens
    encode = compile_function([], layer_input, givens={network_input: train_set_x}, mode=mode)
    return CachedInputFunction(compile_function(**arguments), codes, encode)


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
