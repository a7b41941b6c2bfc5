"""Minibatches as the tutorial takes them: symbolic slices of shared data sets.

The data live in shared variables (on the GPU in Theano's day), and a
compiled function receives only the minibatch's index: ``givens`` replace
the model's input by a slice of the data (:func:`minibatch_givens`).
"""

import numpy
import pytensor

from .errors import ArgumentError


class Shuffler:
    """Permutes the rows of shared arrays in place, all with one permutation (examples stay with their labels).

    It keeps the rows' order and its random generator, so that a training
    loop's checkpoint can save them (:meth:`state`) and a resumed run can put
    the rows back in the order an uninterrupted run had them (:meth:`restore`).
    Labels from :func:`~dltutorial.core.data.shared_dataset` are an int32 cast
    of a shared vector (as in the original); that vector is what gets permuted.
    """

    def __init__(self, rng, *shared):
        self.rng = rng
        self.shared = [v if isinstance(v, pytensor.compile.SharedVariable) else v.owner.inputs[0] for v in shared]
        self.order = numpy.arange(self.shared[0].get_value(borrow=True).shape[0])  # rows now, by original position

    def shuffle(self, *_):
        """Permute the rows at random (ignores arguments, so that it can be a loop's ``on_epoch``)."""
        self._permute(self.rng.permutation(len(self.order)))

    def _permute(self, order):
        for variable in self.shared:
            variable.set_value(variable.get_value(borrow=True)[order], borrow=True)
        self.order = self.order[order]

    def state(self):
        return {"order": self.order.copy(), "rng": self.rng.get_state()}

    def restore(self, state):
        self._permute(numpy.argsort(self.order)[state["order"]])
        self.rng.set_state(state["rng"])


def minibatch_givens(index, batch_size, *pairs):
    """The tutorial's ``givens``: each symbolic variable -> its minibatch slice of the data.

    ``minibatch_givens(index, 20, (x, train_set_x), (y, train_set_y))`` is
    ``{x: train_set_x[index * 20: (index + 1) * 20], y: ...}``, as the chapters
    write it out; the extras of the reference texts take it from here.
    """
    return {var: data[index * batch_size: (index + 1) * batch_size] for var, data in pairs}


def n_batches(shared_x, batch_size):
    """How many whole minibatches the data set in ``shared_x`` holds (at least one, or ArgumentError)."""
    n_examples = shared_x.get_value(borrow=True).shape[0]
    if n_examples < batch_size:
        raise ArgumentError(f"a data set holds {n_examples} examples, fewer than one minibatch of {batch_size}: "
                            "use a smaller batch_size (--batch-size)")
    return n_examples // batch_size
