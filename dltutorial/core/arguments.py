"""Checking an entry function's arguments before any work: sizes, epochs, rates, fractions, seeds, choices.

The rules go by the argument's name, which is the same in every tutorial
(``batch_size``, ``learning_rate`` ...), so one table serves them all.  A
value out of range is an :class:`~dltutorial.core.errors.ArgumentError`
naming the argument, its command-line option and what it must be.
"""

import math
import numbers
import os
from pathlib import Path

from .errors import ArgumentError

COUNTS = {  # whole numbers >= 1
    "batch_size", "valid_batch_size", "labelled_batch_size", "n_epochs", "training_epochs", "pretraining_epochs",
    "finetuning_epochs", "iterations", "n_iterations", "k", "n_chains", "n_samples", "plot_every", "n_digits",
    "n_points", "n_labels", "n", "dim", "dim_proj", "hidden_size", "n_words", "maxlen", "patience", "dispFreq",
    "print_every", "nepochs", "nhidden", "emb_dimension", "win",
    "n_hidden_recurrent", "hidden_layers_sizes", "n_hidden", "n_hiddens", "nkerns",  # each layer's size
}
RATES = {"learning_rate", "finetune_lr", "pretrain_lr", "lrate", "epsilon", "lr", "dt"}  # finite, > 0 (dt: seconds)
WEIGHTS = {"L1_reg", "L2_reg", "l2_reg", "reg", "decay_c", "sparsity_weight", "contraction_level",  # finite, >= 0
           "noise_level", "noise_std"}
FRACTIONS = {"momentum_rate", "rho"}  # in [0, 1]
MASKS = {"masking_fractions"}  # in [0, 1): a fraction of 1 would leave no input to learn from
OPEN_FRACTIONS = {"sparsity_target"}  # in (0, 1)
COUNT_OR_MINUS_ONE = {"validFreq", "saveFreq", "test_size"}  # -1: the original's "every epoch" / "all"
NON_NEGATIVE_COUNTS = {"max_epochs", "num_epochs", "burnin"}  # 0: evaluate a reloaded model without training; no burn-in
SEEDS = {"seed", "seeds"}  # numpy's RandomState takes 0 .. 2**32 - 1; the autoencoder tutorials also seed with seed + 1
LENGTHS = {"nkerns": 2}  # LeNet: the kernels of its two convolutional layers
DATASET_PARAMETERS = ("dataset", "mnist_pkl_gz")  # the entry functions' names for their data set (--data)
SEQUENCES = {"hidden_layers_sizes", "n_hiddens", "nkerns", "masking_fractions", "seeds"}  # one value a layer or run
PATHS = {"output_folder", "model", "saveto", *DATASET_PARAMETERS}  # None (the default) or a path
CHOICES = {"noise": ("", "gaussian", "dropout"),  # "": none
           "fold": (0, 1, 2, 3, 4)}  # ATIS's five folds


def _values(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


RULES = [  # (names, test of one value, what it must be)
    (COUNTS, lambda v: _is_int(v) and v >= 1, "a whole number >= 1"),
    (NON_NEGATIVE_COUNTS, lambda v: _is_int(v) and v >= 0, "a whole number >= 0"),
    (COUNT_OR_MINUS_ONE, lambda v: _is_int(v) and (v >= 1 or v == -1), "a whole number >= 1, or -1"),
    (RATES, lambda v: _is_real(v) and v > 0, "a finite number > 0"),
    (WEIGHTS, lambda v: _is_real(v) and v >= 0, "a finite number >= 0"),
    (FRACTIONS, lambda v: _is_real(v) and 0 <= v <= 1, "a number in [0, 1]"),
    (MASKS, lambda v: _is_real(v) and 0 <= v < 1, "a number in [0, 1) (1 would mask every input)"),
    (OPEN_FRACTIONS, lambda v: _is_real(v) and 0 < v < 1, "a number strictly between 0 and 1"),
    (SEEDS, lambda v: _is_int(v) and 0 <= v < 2 ** 32 - 1, "a whole number from 0 to 4294967294"),
]


def _option(name):
    return "--data" if name in DATASET_PARAMETERS else f"--{name.replace('_', '-')}"


def _check_together(arguments):
    """The rules that involve more than one argument."""
    if _is_int(arguments.get("n_points")) and arguments["n_points"] < 3:
        raise ArgumentError(f"n_points={arguments['n_points']!r} ({_option('n_points')}): the points must span a "
                            "plane for PCA to find: at least 3")
    if _is_int(arguments.get("dim")) and arguments["dim"] < 2:
        raise ArgumentError(f"dim={arguments['dim']} ({_option('dim')}): HMC's picture shows the samples' first two "
                            "dimensions: at least 2")
    if "text" in arguments and not (isinstance(arguments["text"], str) and len(arguments["text"]) >= 2):
        raise ArgumentError(f"text={arguments['text']!r} ({_option('text')}): must be at least 2 characters, "
                            "each learnt from the one before it")
    if _is_int(arguments.get("win")) and arguments["win"] % 2 == 0:
        raise ArgumentError(f"win={arguments['win']} ({_option('win')}): the context window must be odd, the word "
                            "in its middle")
    if arguments.get("reload_model") and not Path(arguments["reload_model"]).is_file():
        raise ArgumentError(f"reload_model={arguments['reload_model']!r} ({_option('reload_model')}): no such "
                            "file; name a model that train_lstm saved (its saveto)")
    if arguments.get("noise") == "dropout" and not 0 <= arguments.get("noise_level", 0) < 1:
        raise ArgumentError(f"noise_level={arguments['noise_level']!r} ({_option('noise_level')}): with dropout "
                            "noise it is the fraction of inputs dropped, a number in [0, 1)")


def check_sequence(name, value):
    """Raise ArgumentError unless ``value`` is a list or tuple (one value a layer or run) of at least one value."""
    if not (isinstance(value, (list, tuple)) and value):
        raise ArgumentError(f"{name}={value!r} ({_option(name)}): must be a list of values, one a layer or run "
                            "(e.g. [1000, 1000])")


def check_arguments(arguments):
    """Raise ArgumentError for the first argument in ``arguments`` (a dict) that its rule refuses."""
    for name, value in arguments.items():
        if name in SEQUENCES:
            check_sequence(name, value)
        if name in PATHS and not (value is None or isinstance(value, (str, os.PathLike))):
            raise ArgumentError(f"{name}={value!r} ({_option(name)}): must be a path (a str or a Path)")
        for names, ok, what in RULES:
            if name in names and (not _values(value) or not all(ok(v) for v in _values(value))):
                each = "each value " if isinstance(value, (list, tuple)) else ""
                raise ArgumentError(f"{name}={value!r} ({_option(name)}): {each}must be {what}")
        if name in LENGTHS and len(_values(value)) != LENGTHS[name]:
            raise ArgumentError(f"{name}={value!r} ({_option(name)}): must be {LENGTHS[name]} values, one a layer")
        if name in CHOICES and value not in CHOICES[name]:
            choices = ", ".join(repr(choice) for choice in CHOICES[name])
            raise ArgumentError(f"{name}={value!r} ({_option(name)}): must be one of {choices}")
    _check_together(arguments)
