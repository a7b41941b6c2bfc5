"""The training loops, written once and shared by every tutorial.

:func:`early_stopping` is the minibatch SGD loop with patience from the
tutorial's "Getting started" chapter: validate every
``validation_frequency`` minibatches, and when the validation error improves
by more than ``improvement_threshold`` extend the patience to
``patience_increase`` times the current iteration; stop when the iteration
count passes the patience.  :func:`train_epochs` trains one model (or one
layer of the SdA and DBN) for a fixed number of epochs.  Both print the original's log lines
and show a progress bar when the output is a terminal.

Given a ``checkpoint`` file (a run names it by what it holds, see
:meth:`dltutorial.core.runs.Run.checkpoint`), both loops save at every
epoch's end what they need to go on (the shared variables their training
functions update: the parameters, optimiser state, random generators,
persistent chains; and the loop's own counters), and a rerun with the same
file resumes after the last saved epoch.  A finished loop is not run again:
its parameters and result are restored.
"""

import os
import sys
import timeit
from dataclasses import dataclass, field

import numpy
from tqdm import tqdm

from .checkpoints import resume_loop
from .errors import TrainingDiverged


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

    def curves(self, n_train_batches):
        """The validation errors and the test errors at each new best, in %, against epochs: for a plot."""
        def in_epochs_and_percent(points):
            return [p[1] / n_train_batches for p in points], [100 * p[2] for p in points]
        return {"validation": in_epochs_and_percent(self.validation),
                "test (at each new best)": in_epochs_and_percent(self.test)}

    def as_dict(self):
        return {k: (float(v) if isinstance(v, numpy.floating) else v) for k, v in self.__dict__.items()}


def finite(cost, epoch, minibatch_index, first_step=False):
    """``cost``, unless it is NaN or infinite: then stop training, before anything poisoned is saved.

    The data and the options were checked before training, so what is left
    to name is when it happened: at the ``first_step`` (no update made yet)
    the untrained model's cost is undefined on that minibatch; later, the
    updates have grown too large.
    """
    if numpy.isfinite(cost).all():
        return cost
    where = f"at epoch {epoch}, minibatch {minibatch_index}"
    if first_step:
        raise TrainingDiverged(f"the training cost is {cost} {where}, before any update: the untrained model's cost "
                               "is undefined on this data (a pixel outside 0..1, an initialisation that saturates)")
    raise TrainingDiverged(f"the training cost became {cost} {where}, after finite costs until then: the steps grew "
                           "too large; lower the learning rate (the checkpoints keep the last finished epoch)")


def _progress(total, desc):
    """A tqdm bar on a terminal, nothing otherwise (tqdm's ``disable=None``)."""
    return tqdm(total=total, desc=desc, leave=False, disable=None, mininterval=0.5, unit="batch")


def early_stopping(train_model, n_train_batches, validate, test, n_epochs, patience,
                   patience_increase=2, improvement_threshold=0.995, on_best=None,
                   on_iteration=None, checkpoint=None, log=print):
    """Run minibatch SGD with early stopping and return a :class:`TrainingResult`.

    :param train_model: ``train_model(minibatch_index)`` does one update and returns the cost
    :param validate: ``validate()`` returns the validation error (a fraction) of each minibatch
    :param test: ``test()`` returns the test error of each minibatch; called at each new best
    :param patience: look at this many minibatches regardless
    :param on_best: called with no arguments at each new best (e.g. to save the model)
    :param on_iteration: called with the iteration number before each step (e.g. to log it)
    :param checkpoint: a file to save the loop's state to after each epoch, and resume from
    """
    validation_frequency = min(n_train_batches, patience // 2)
    result = TrainingResult()
    done_looping = False
    epoch = 0
    if checkpoint:
        checkpoint, state = resume_loop(checkpoint, [train_model], {"result": result, "epoch": epoch,
                                                                    "patience": patience, "done": done_looping}, log=log)
        result, epoch, patience, done_looping = state["result"], state["epoch"], state["patience"], state["done"]
    start_time = timeit.default_timer() - result.seconds
    while epoch < n_epochs and not done_looping:
        epoch += 1
        costs = []
        bar = _progress(n_train_batches, f"epoch {epoch}")
        for minibatch_index in range(n_train_batches):
            iteration = (epoch - 1) * n_train_batches + minibatch_index
            if on_iteration is not None:
                on_iteration(iteration)
            costs.append(finite(train_model(minibatch_index), epoch, minibatch_index, iteration == 0))
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


class EpochCosts(list):
    """Each epoch's mean cost, and ``seconds``: the time its minibatches took, over every part of a resumed run."""

    seconds = 0.0


def train_epochs(step, n_train_batches, n_epochs, kwargs=None, line="Training epoch {epoch}, cost {cost:f}",
                 layer=None, checkpoint=None, also_save=(), on_epoch=None, log=print):
    """Call ``step(index=i, **kwargs)`` on every minibatch for ``n_epochs``; return each epoch's mean cost.

    The costs come as :class:`EpochCosts`, whose ``seconds`` is the training
    time (not the hooks' or the checkpoints').

    A step that returns several numbers (the cA's cost and Jacobian norm)
    gets a list of their means per epoch.

    The tutorials' fixed-epoch loop: a dA or an RBM, one layer of an SdA or
    a DBN (the layer-wise pretraining calls it once per layer).

    :param line: the log line printed after each epoch (fields ``epoch``, ``cost`` and ``layer``)
    :param checkpoint: a file to save the costs and the trained variables to after each epoch, and resume from
    :param also_save: more state for the checkpoint (see :class:`~dltutorial.core.checkpoints.Checkpoint`)
    :param on_epoch: called as ``on_epoch(epoch)`` after each epoch's line (e.g. to save filters, to reshuffle)
    """
    kwargs = kwargs or {}
    costs = EpochCosts()
    if checkpoint:
        checkpoint, state = resume_loop(checkpoint, [step], {"epoch": 0, "costs": [], "seconds": 0.0}, also_save, log)
        costs.extend(state["costs"])
        costs.seconds = state["seconds"]
    what = "training" if layer is None else f"layer {layer}"
    for epoch in range(len(costs), n_epochs):
        c = []
        start_time = timeit.default_timer()
        with _progress(n_train_batches, f"{what} epoch {epoch}") as bar:
            for batch_index in range(n_train_batches):
                c.append(finite(step(index=batch_index, **kwargs), epoch, batch_index, epoch == 0 and batch_index == 0))
                bar.update()
        costs.seconds += timeit.default_timer() - start_time
        costs.append(numpy.mean(c, axis=0, dtype="float64").tolist())  # a float, or a list for a step of several
        log(line.format(layer=layer, epoch=epoch, cost=costs[-1]))
        if on_epoch is not None:
            on_epoch(epoch)
        if checkpoint:  # after on_epoch, whose work (a reshuffle, an evaluation) the checkpoint keeps
            checkpoint.save({"epoch": len(costs), "costs": list(costs), "seconds": costs.seconds})
    return costs


def report_time(file, seconds, what="code", minutes=True):
    """Print the tutorial's run-time line to stderr ("The code for file mlp.py ran for 1.23m")."""
    duration = f"{seconds / 60.0:.2f}m" if minutes else f"{seconds:.1f}s"
    print(f"The {what} for file {os.path.basename(file)} ran for {duration}", file=sys.stderr)
