"""Checkpoints: a training loop's state saved at an epoch's end, to resume after it.

A loop's state is the shared variables its compiled functions update (the
parameters, optimiser state, random generators, persistent chains: PyTensor
knows them from the functions' ``updates``) and the loop's own counters.
Files are written atomically, so an interrupted save leaves the previous
epoch's checkpoint.
"""

import pickle
from pathlib import Path

import numpy

from .compile import pytensor_function
from .errors import TutorialError
from .files import save_pickle


class CheckpointError(TutorialError, ValueError):
    """A checkpoint that does not fit the model it is restored into."""


def updated_shared_variables(functions):
    """The shared variables that the compiled ``functions`` update: a training loop's whole state."""
    variables = []
    for fn in map(pytensor_function, functions):
        variables += [i.variable for i in fn.maker.inputs if i.update is not None and i.variable not in variables]
    return variables


class Checkpoint:
    """One loop's checkpoint file: its state dict and the values of the shared variables its functions update.

    ``also_save`` lists more things to save and restore, each with ``state()``
    and ``restore(state)``: a :class:`~dltutorial.core.minibatches.Shuffler`'s
    row order and generator, a :class:`Kept`'s values.
    """

    def __init__(self, path, functions, also_save=()):
        self.path = Path(path)
        self.variables = updated_shared_variables(functions)
        self.also_save = list(also_save)

    def save(self, state):
        save_pickle({"state": state, "values": [_plain(v.get_value(borrow=True)) for v in self.variables],
                     "also_saved": [kept.state() for kept in self.also_save]}, self.path)

    def restore(self):
        """Load the saved values into the shared variables and return the state (None if no checkpoint)."""
        if not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as f:
                saved = pickle.load(f)
            values = saved["values"]
        except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, AttributeError) as error:
            raise CheckpointError(f"{self.path}: corrupt checkpoint ({type(error).__name__}: {error}); delete it to "
                                  "train that loop over, or the run folder to start afresh") from None
        if len(values) != len(self.variables) or any(
                _kind(value) != _kind(v.get_value(borrow=True)) for value, v in zip(values, self.variables)):
            raise CheckpointError(f"{self.path}: this checkpoint belongs to another model or settings; "
                                  "delete it (or the run folder) to start afresh")
        for variable, value in zip(self.variables, values):
            variable.set_value(value)
        for kept, state in zip(self.also_save, saved["also_saved"]):
            kept.restore(state)
        return saved["state"]


def _plain(value):
    """An array value as a numpy array (JAX keeps them on its device); a random generator as it is."""
    return numpy.asarray(value) if hasattr(value, "shape") else value


def _kind(value):
    """What must match between a saved value and the variable it restores: shape, or type for generators."""
    return tuple(value.shape) if hasattr(value, "shape") else type(value)


class Kept:
    """Values a loop's checkpoint saves beside the model: the entries ``keys`` of ``mapping`` (a record's lists)."""

    def __init__(self, mapping, *keys):
        self.mapping, self.keys = mapping, keys

    def state(self):
        return {key: self.mapping[key] for key in self.keys}

    def restore(self, state):
        self.mapping.update(state)
