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
    """The shared variables that the compiled ``functions`` update, by unique name: a training loop's whole state.

    A variable goes by its own name (``W``, ``b_prime``), or its type's for
    an unnamed one (a random generator); the second, third ... of a name get
    `` (2)``, `` (3)`` in the order the functions update them.
    """
    variables, named, count = [], {}, {}
    for fn in map(pytensor_function, functions):
        variables += [i.variable for i in fn.maker.inputs if i.update is not None and i.variable not in variables]
    for variable in variables:
        name = variable.name or type(variable.type).__name__
        count[name] = count.get(name, 0) + 1
        named[name if count[name] == 1 else f"{name} ({count[name]})"] = variable
    return named


class Checkpoint:
    """One loop's checkpoint file: its state dict and, by name, the values of the shared variables its functions update.

    Restoring checks each value against the variable of its name (the same
    names, shapes and dtypes), so that two values of one shape (a layer's
    ``b`` and ``b_prime``) can never trade places.  ``also_save`` lists more
    things to save and restore, each with ``state()`` and ``restore(state)``:
    a :class:`~dltutorial.core.minibatches.Shuffler`'s row order and
    generator, a :class:`Kept`'s values.
    """

    def __init__(self, path, functions, also_save=()):
        self.path = Path(path)
        self.variables = updated_shared_variables(functions)
        self.also_save = list(also_save)

    def save(self, state):
        values = {name: _plain(v.get_value(borrow=True)) for name, v in self.variables.items()}
        save_pickle({"state": state, "values": values, "also_saved": [kept.state() for kept in self.also_save]},
                    self.path)

    def restore(self):
        """Load the saved values into the shared variables and return the state (None if no checkpoint)."""
        if not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as f:
                saved = pickle.load(f)
            values = dict(saved["values"])
        except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError, AttributeError) as error:
            raise CheckpointError(f"{self.path}: corrupt checkpoint ({type(error).__name__}: {error}); delete it to "
                                  "train that loop over, or the run folder to start afresh") from None
        differ = _differences(values, self.variables)
        if differ:
            raise CheckpointError(f"{self.path}: this checkpoint belongs to another model or settings ({differ}); "
                                  "delete it (or the run folder) to start afresh")
        for name, variable in self.variables.items():
            variable.set_value(values[name])
        for kept, state in zip(self.also_save, saved["also_saved"]):
            kept.restore(state)
        return saved["state"]


def resume_loop(path, functions, fresh, also_save=(), log=print):
    """A training loop's :class:`Checkpoint` and the state to start from: the saved one, or ``fresh``.

    Every loop with a checkpoint starts this way; the state a loop saves
    holds its ``epoch`` (the epochs finished), which the resume line prints.
    """
    checkpoint = Checkpoint(path, functions, also_save)
    state = checkpoint.restore()
    if state is None:
        return checkpoint, fresh
    log("... resuming after epoch %i from %s" % (state["epoch"], checkpoint.path))
    return checkpoint, state


def _differences(values, variables):
    """What keeps saved ``values`` (by name) from fitting ``variables`` (by name), in words; '' if they fit."""
    missing, extra = sorted(set(variables) - set(values)), sorted(set(values) - set(variables))
    if missing or extra:
        return "; ".join(part for part in (missing and f"no value for {', '.join(missing)}",
                                           extra and f"values of no variable: {', '.join(extra)}") if part)
    for name, variable in variables.items():
        saved, current = _kind(values[name]), _kind(variable.get_value(borrow=True))
        if saved != current:
            return f"{name} is {saved} in the checkpoint, {current} in the model"
    return ""


def _plain(value):
    """An array value as a numpy array (JAX keeps them on its device); a random generator as it is."""
    return numpy.asarray(value) if hasattr(value, "shape") else value


def _kind(value):
    """What must match between a saved value and the variable it restores: shape and dtype, or type for generators."""
    return (tuple(value.shape), str(value.dtype)) if hasattr(value, "shape") else type(value).__name__


class Kept:
    """Values a loop's checkpoint saves beside the model: the entries ``keys`` of ``mapping`` (a record's lists)."""

    def __init__(self, mapping, *keys):
        self.mapping, self.keys = mapping, keys

    def state(self):
        return {key: self.mapping[key] for key in self.keys}

    def restore(self, state):
        self.mapping.update(state)
