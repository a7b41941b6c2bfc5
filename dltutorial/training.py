"""The training loops, written once and shared by every tutorial.

:func:`early_stopping` is the minibatch SGD loop with patience from the
tutorial's "Getting started" chapter: validate every
``validation_frequency`` minibatches, and when the validation error improves
by more than ``improvement_threshold`` extend the patience to
``patience_increase`` times the current iteration; stop when the iteration
count passes the patience.  :func:`pretrain_layers` is the layer-wise
pretraining loop of the SdA (and DBN).  Both print the original's log lines
and show a progress bar when the output is a terminal.

Under :func:`checkpointing`, both loops save at every epoch's end what they
need to go on (the shared variables their training functions update: the
parameters, optimiser state, random generators, persistent chains; and the
loop's own counters), and a rerun in the same folder resumes after the last
saved epoch.  A finished loop is not run again: its parameters and result
are restored.
"""

import contextlib
import os
import pickle
import sys
import timeit
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import pytensor
import pytensor.tensor as pt
from tqdm import tqdm

from .compile import compile_function, get_mode
from .files import save_pickle


@dataclass
class TrainingResult:
    """What an early-stopping run found; every figure the loop prints is here."""

    best_validation_loss: float = numpy.inf
    best_iter: int = 0
    test_score: float = 0.0
    epochs: int = 0
    seconds: float = 0.0
    epoch_costs: list = field(default_factory=list)  # mean training cost per epoch
    validation: list = field(default_factory=list)  # (epoch, iteration, validation error)
    test: list = field(default_factory=list)  # (epoch, iteration, test error) at each new best

    def as_dict(self):
        return {k: (float(v) if isinstance(v, numpy.floating) else v) for k, v in self.__dict__.items()}


_checkpoint_folder = None  # set by checkpointing(): where the loops save and resume
_loops_started = 0  # the loops run so far under checkpointing(): each has its own file


@contextlib.contextmanager
def checkpointing(folder):
    """Within this block every training loop checkpoints into ``folder`` and resumes from it."""
    global _checkpoint_folder, _loops_started
    _checkpoint_folder, _loops_started = Path(folder), 0
    _checkpoint_folder.mkdir(parents=True, exist_ok=True)
    try:
        yield
    finally:
        _checkpoint_folder = None


def updated_shared_variables(functions):
    """The shared variables that the compiled ``functions`` update: a training loop's whole state."""
    variables = []
    for fn in functions:
        while not hasattr(fn, "maker"):  # TutorialFunction, CachedInputFunction: the compiled one inside
            fn = fn.fn
        variables += [i.variable for i in fn.maker.inputs if i.update is not None and i.variable not in variables]
    return variables


class Checkpoint:
    """One loop's checkpoint file: its state dict and the values of the shared variables its functions update."""

    def __init__(self, path, functions):
        self.path = Path(path)
        self.variables = updated_shared_variables(functions)

    def save(self, state):
        save_pickle({"state": state, "values": [_plain(v.get_value(borrow=True)) for v in self.variables]}, self.path)

    def restore(self):
        """Load the saved values into the shared variables and return the state (None if no checkpoint)."""
        if not self.path.exists():
            return None
        with open(self.path, "rb") as f:
            saved = pickle.load(f)
        values = saved["values"]
        if len(values) != len(self.variables) or any(
                _kind(value) != _kind(v.get_value(borrow=True)) for value, v in zip(values, self.variables)):
            raise ValueError(f"{self.path}: this checkpoint belongs to another model or settings; "
                             "delete it (or the run folder) to start afresh")
        for variable, value in zip(self.variables, values):
            variable.set_value(value)
        return saved["state"]


def _plain(value):
    """An array value as a numpy array (JAX keeps them on its device); a random generator as it is."""
    return numpy.asarray(value) if hasattr(value, "shape") else value


def _kind(value):
    """What must match between a saved value and the variable it restores: shape, or type for generators."""
    return tuple(value.shape) if hasattr(value, "shape") else type(value)


def _loop_checkpoint(functions):
    """The :class:`Checkpoint` of the loop starting now, under :func:`checkpointing`; else None."""
    global _loops_started
    if _checkpoint_folder is None:
        return None
    _loops_started += 1
    return Checkpoint(_checkpoint_folder / f"checkpoint-loop{_loops_started}.pkl", functions)


def _progress(total, desc):
    """A tqdm bar on a terminal, nothing otherwise (tqdm's ``disable=None``)."""
    return tqdm(total=total, desc=desc, leave=False, disable=None, mininterval=0.5, unit="batch")


def early_stopping(train_model, n_train_batches, validate, test, n_epochs, patience,
                   patience_increase=2, improvement_threshold=0.995, on_best=None,
                   on_iteration=None, log=print):
    """Run minibatch SGD with early stopping and return a :class:`TrainingResult`.

    :param train_model: ``train_model(minibatch_index)`` does one update and returns the cost
    :param validate: ``validate()`` returns the validation error (a fraction) of each minibatch
    :param test: ``test()`` returns the test error of each minibatch; called at each new best
    :param patience: look at this many minibatches regardless
    :param on_best: called with no arguments at each new best (e.g. to save the model)
    :param on_iteration: called with the iteration number before each step (e.g. to log it)
    """
    validation_frequency = min(n_train_batches, patience // 2)
    result = TrainingResult()
    done_looping = False
    epoch = 0
    checkpoint = _loop_checkpoint([train_model])
    state = checkpoint.restore() if checkpoint else None
    if state is not None:
        result, epoch, patience, done_looping = state["result"], state["epoch"], state["patience"], state["done"]
        log("... resuming after epoch %i from %s" % (epoch, checkpoint.path))
    start_time = timeit.default_timer() - result.seconds
    while epoch < n_epochs and not done_looping:
        epoch += 1
        costs = []
        bar = _progress(n_train_batches, f"epoch {epoch}")
        for minibatch_index in range(n_train_batches):
            iteration = (epoch - 1) * n_train_batches + minibatch_index
            if on_iteration is not None:
                on_iteration(iteration)
            costs.append(train_model(minibatch_index))
            bar.update()
            if (iteration + 1) % validation_frequency == 0:
                this_validation_loss = float(numpy.mean(validate(), dtype="float64"))
                result.validation.append((epoch, iteration + 1, this_validation_loss))
                bar.clear()
                log("epoch %i, minibatch %i/%i, validation error %f %%"
                    % (epoch, minibatch_index + 1, n_train_batches, this_validation_loss * 100.0))
                if this_validation_loss < result.best_validation_loss:
                    if this_validation_loss < result.best_validation_loss * improvement_threshold:
                        patience = max(patience, iteration * patience_increase)
                    result.best_validation_loss = this_validation_loss
                    result.best_iter = iteration
                    result.test_score = float(numpy.mean(test(), dtype="float64"))
                    result.test.append((epoch, iteration + 1, result.test_score))
                    log(("     epoch %i, minibatch %i/%i, test error of best model %f %%")
                        % (epoch, minibatch_index + 1, n_train_batches, result.test_score * 100.0))
                    if on_best is not None:
                        on_best()
            if patience <= iteration:
                done_looping = True
                break
        bar.close()
        result.epoch_costs.append(float(numpy.mean(costs, dtype="float64")))
        result.epochs = epoch
        result.seconds = timeit.default_timer() - start_time
        if checkpoint:
            checkpoint.save({"result": result, "epoch": epoch, "patience": patience,
                             "done": done_looping or epoch >= n_epochs})
    return result


PRETRAINING_LINE = "Pre-training layer {layer}, epoch {epoch}, cost {cost:f}"


def pretrain_layers(pretraining_fns, n_train_batches, pretraining_epochs, layer_kwargs,
                    line=PRETRAINING_LINE, log=print, on_epoch=None):
    """Train each layer in turn for ``pretraining_epochs``; return the mean cost per epoch.

    :param pretraining_fns: one compiled function per layer, called as ``fn(index=i, **kwargs)``
    :param layer_kwargs: one dict of keyword arguments per layer (e.g. corruption and lr)
    :param line: the log line printed after each epoch (fields layer, epoch, cost)
    :param on_epoch: called as ``on_epoch(layer, epoch)`` after each epoch's line (e.g. to save filters)
    :returns: ``costs[layer][epoch]``
    """
    costs = [[] for _ in pretraining_fns]
    checkpoint = _loop_checkpoint(pretraining_fns)
    state = checkpoint.restore() if checkpoint else None
    if state is not None:
        costs = state["costs"]
        log("... resuming after %i pretraining epochs from %s" % (sum(map(len, costs)), checkpoint.path))
    for i, (fn, kwargs) in enumerate(zip(pretraining_fns, layer_kwargs)):
        for epoch in range(len(costs[i]), pretraining_epochs):
            c = []
            with _progress(n_train_batches, f"layer {i} epoch {epoch}") as bar:
                for batch_index in range(n_train_batches):
                    c.append(fn(index=batch_index, **kwargs))
                    bar.update()
            costs[i].append(float(numpy.mean(c, dtype="float64")))
            log(line.format(layer=i, epoch=epoch, cost=costs[i][-1]))
            if checkpoint:
                checkpoint.save({"costs": costs})
            if on_epoch is not None:
                on_epoch(i, epoch)
    return costs


def train_epochs(step, n_train_batches, n_epochs, what="training", on_epoch=None):
    """Call ``step(index)`` on every minibatch for ``n_epochs``; log and return each epoch's mean cost.

    The one-model case of :func:`pretrain_layers`; ``on_epoch(epoch)`` runs
    after each epoch (e.g. to reshuffle the data).
    """
    hook = None if on_epoch is None else (lambda layer, epoch: on_epoch(epoch))
    return pretrain_layers([step], n_train_batches, n_epochs, [{}], line=what + " epoch {epoch}, cost {cost:f}",
                           on_epoch=hook)[0]


def shuffle_rows(rng, *shared):
    """Permute the rows of shared arrays in place, all with one permutation (examples stay with their labels).

    Labels from :func:`~dltutorial.data.shared_dataset` are an int32 cast of
    a shared vector (as in the original); that vector is what gets permuted.
    """
    shared = [v if isinstance(v, pytensor.compile.SharedVariable) else v.owner.inputs[0] for v in shared]
    order = rng.permutation(shared[0].get_value(borrow=True).shape[0])
    for variable in shared:
        variable.set_value(variable.get_value(borrow=True)[order], borrow=True)


def minibatch_givens(index, batch_size, *pairs):
    """The tutorial's ``givens``: each symbolic variable -> its minibatch slice of the data.

    ``minibatch_givens(index, 20, (x, train_set_x), (y, train_set_y))`` is
    ``{x: train_set_x[index * 20: (index + 1) * 20], y: ...}``.
    """
    return {var: rows(data, index * batch_size, batch_size) for var, data in pairs}


def rows(data, start, count):
    """``data[start: start + count]`` for a symbolic ``start``, with the static shape ``(count, ...)``.

    The static row count is what lets the compile modes see a batch of one
    as a row vector and use matrix-vector products and rank-1 updates
    (see :mod:`dltutorial.rewrites`); the minibatches the tutorials take are
    always whole, so the shape check it adds never fails.
    JAX cannot trace a slice whose start is symbolic, so under the ``jax``
    mode the same rows are taken by an index vector of static length
    (``start + arange(count)``); the other backends slice (a view, no copy).
    """
    if get_mode() == "jax":
        taken = data[start + pt.arange(count)]
    else:
        taken = data[start: start + count]
    if not isinstance(count, int):
        return taken
    return pt.specify_shape(taken, (count,) + (None,) * (data.ndim - 1))


def n_batches(shared_x, batch_size):
    """How many whole minibatches the data set in ``shared_x`` holds (at least one, or ValueError)."""
    n_examples = shared_x.get_value(borrow=True).shape[0]
    if n_examples < batch_size:
        raise ValueError(f"a data set holds {n_examples} examples, fewer than one minibatch of {batch_size}")
    return n_examples // batch_size


def build_evaluators(index, batch_size, x, y, errors, datasets):
    """Compile the validation and test error functions.

    Returns two Python functions ``validate()`` and ``test()`` that return
    the list of errors of every minibatch of the validation and test sets.
    """
    scorers = []
    for set_x, set_y in datasets[1:]:
        fn = compile_function([index], errors,
                              givens=minibatch_givens(index, batch_size, (x, set_x), (y, set_y)))
        count = n_batches(set_x, batch_size)
        scorers.append(lambda fn=fn, count=count: [fn(i) for i in range(count)])
    return scorers


def sgd_training_function(index, batch_size, x, y, cost, params, learning_rate, train_set):
    """Compile ``train_model(index)``: one SGD step on minibatch ``index``, returning the cost."""
    gparams = [pt.grad(cost, param) for param in params]
    updates = [(param, param - learning_rate * gparam) for param, gparam in zip(params, gparams)]
    return compile_function([index], cost, updates=updates,
                            givens=minibatch_givens(index, batch_size, (x, train_set[0]), (y, train_set[1])))


def report_time(file, seconds, what="code", minutes=True):
    """Print the tutorial's run-time line to stderr ("The code for file mlp.py ran for 1.23m")."""
    duration = f"{seconds / 60.0:.2f}m" if minutes else f"{seconds:.1f}s"
    print(f"The {what} for file {os.path.basename(file)} ran for {duration}", file=sys.stderr)


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
                             network_input, train_set_x, cache_codes, name=None):
    """Compile one layer's pretraining step (SdA, DBN); ``inputs[0]`` is the minibatch index.

    A layer above the first reads ``layer_input``, a deterministic function
    of the network's input.  With ``cache_codes`` its minibatches come from
    the codes of the whole training set, computed once by the layers below
    (a :class:`CachedInputFunction`); otherwise every step recomputes them
    from ``train_set_x``.  Both give the same costs.
    """
    index = inputs[0]
    if not cache_codes or layer_input is network_input:
        return compile_function(inputs, cost, updates=updates, defaults=defaults, name=name,
                                givens=minibatch_givens(index, batch_size, (network_input, train_set_x)))
    codes = empty_codes(n_visible)
    fn = compile_function(inputs, cost, updates=updates, defaults=defaults, name=name,
                          givens=minibatch_givens(index, batch_size, (layer_input, codes)))
    encode = compile_function([], layer_input, givens={network_input: train_set_x})
    return CachedInputFunction(fn, codes, encode)
