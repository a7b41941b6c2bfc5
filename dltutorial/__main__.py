"""The command line: ``python -m dltutorial <tutorial> [options]``.

Each tutorial's options are read from its entry function's signature, so
``--n-epochs``, ``--batch-size``, ``--learning-rate`` ... are exactly the
keyword arguments a person would pass in Python.  ``--data`` names the
dataset, ``--mode`` the compile backend and ``--floatX`` the float type for
every tutorial.
"""

import argparse
import contextlib
import importlib
import inspect
import signal
import sys
import threading

from .core.arguments import DATASET_PARAMETERS
from .core.errors import ArgumentError, TutorialError

# name -> (module, entry function, what it does).  A tutorial's module is imported only when it runs or its
# options are asked for: ``python -m dltutorial --help`` compiles nothing and loads no backend.
TUTORIALS = {
    "logistic_sgd": ("logistic_sgd", "sgd_optimization_mnist", "logistic regression trained by minibatch SGD"),
    "logistic_cg": ("logistic_cg", "cg_optimization_mnist", "logistic regression trained by conjugate gradients"),
    "mlp": ("mlp", "test_mlp", "multilayer perceptron (500 tanh units)"),
    "lenet5": ("convolutional_mlp", "evaluate_lenet5", "LeNet5 convolutional network (20-50-500-10)"),
    "dA": ("dA", "test_dA", "denoising autoencoder, 0 %% and 30 %% corruption, with filter images"),
    "SdA": ("SdA", "test_SdA", "stacked denoising autoencoder: pretraining then finetuning"),
    "rbm": ("rbm", "test_rbm", "restricted Boltzmann machine trained by PCD-15, with filters and samples"),
    "DBN": ("DBN", "test_DBN", "deep belief network: RBM pretraining (CD-1) then finetuning"),
    "cA": ("cA", "test_cA", "contractive autoencoder, with filter images"),
    "hmc": ("hmc", "test_hmc", "hybrid Monte Carlo on a correlated 5-D Gaussian: target and empirical moments"),
    "lstm": ("lstm", "train_lstm", "LSTM sentiment classifier on IMDB (--data synthetic: a generated task)"),
    "lstm_chars": ("lstm_chars", "lstm_chars", "LSTM character model learning 'hihell' -> 'ihello'"),
    "rnnrbm": ("rnnrbm", "test_rnnrbm",
               "RNN-RBM on polyphonic music (Nottingham MIDI files, else the Bach chorales); samples"),
    "rnnslu": ("rnnslu", "main", "Elman RNN for slot filling on ATIS (--data synthetic: a generated task)"),
    "linear_autoencoder_pca": ("autoencoder_tutorials", "linear_autoencoder_pca",
                               "linear 3-2-3 autoencoder finding the PCA plane (Hands-On ML's autoencoders)"),
    "stacked_autoencoder": ("autoencoder_tutorials", "stacked_autoencoder",
                            "stacked autoencoder 784-300-150-300-784 with tied weights (Hands-On ML)"),
    "denoising_autoencoder": ("autoencoder_tutorials", "denoising_autoencoder",
                              "the stacked autoencoder with Gaussian or dropout input noise (Hands-On ML)"),
    "autoencoders_one_at_a_time": ("autoencoder_tutorials", "autoencoders_one_at_a_time",
                                   "layer-wise training: separate graphs vs one graph with phases (Hands-On ML)"),
    "unsupervised_pretraining": ("autoencoder_tutorials", "unsupervised_pretraining",
                                 "pretrained encoder under a softmax on 500 labels, frozen/unfrozen/random"),
    "sparse_autoencoder": ("autoencoder_tutorials", "sparse_autoencoder",
                           "sparse autoencoder with a KL sparsity loss (Hands-On ML)"),
    "variational_autoencoder": ("autoencoder_tutorials", "variational_autoencoder",
                                "variational autoencoder; 60 generated digits (Hands-On ML)"),
    "masking_noise_sae": ("masking_noise", "masking_noise_sae",
                          "784-100-100-10 stacked autoencoder, masking noise 0 vs 0.5 (the dA article's experiment)"),
    "mlp_adadelta": ("mlp_adadelta", "mlp_adadelta", "ReLU MLP [1000, 1000] trained by Adadelta"),
    "predict": ("logistic_sgd", "predict", "predictions of the model saved by logistic_sgd"),
}


def _add_option(parser, name, default, dest):
    """``--name`` (underscores as dashes) stored in ``dest``, typed by its default."""
    flag = "--" + name.replace("_", "-")
    if callable(default):  # train_lstm's optimizer=adadelta: named on the command line
        parser.add_argument(flag, dest=dest, default=default.__name__, help=f"default: {default.__name__}")
    elif isinstance(default, bool):
        parser.add_argument(flag, dest=dest, default=default, action=argparse.BooleanOptionalAction)
    elif isinstance(default, (list, tuple)):
        parser.add_argument(flag, dest=dest, type=type(default[0]), nargs="+", default=default,
                            help=f"default: {' '.join(map(str, default))}")
    else:
        parser.add_argument(flag, dest=dest, type=type(default) if default is not None else str, default=default,
                            help=f"default: {default}")


def _add_signature_options(parser, func):
    """One --option per keyword parameter of ``func``, typed by its default.

    A ``param`` dict (the original's, rnnslu.main) gets one option per key of
    its module's ``DEFAULT_PARAM``, gathered back into the dict by :func:`main`.
    """
    parameters = inspect.signature(func).parameters
    if "param" in parameters:
        group = parser.add_argument_group("the original's param dict")
        for name, default in inspect.getmodule(func).DEFAULT_PARAM.items():
            _add_option(group, name, default, dest=f"param.{name}")
    for name, param in parameters.items():
        skipped = name in DATASET_PARAMETERS + ("mode", "floatX", "param")
        if not skipped and param.default is not inspect.Parameter.empty:
            _add_option(parser, name, param.default, dest=name)
    aliases = {"n_epochs": "training_epochs"}  # --n-epochs works for every tutorial
    for alias, name in aliases.items():
        if name in parameters and alias not in parameters:
            parser.add_argument("--n-epochs", dest=name, type=int, help=f"same as --{name.replace('_', '-')}")


def entry_function(tutorial):
    """The entry function of ``tutorial``, its module imported now."""
    module, function, _ = TUTORIALS[tutorial]
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def build_parser(tutorial=None):
    """The command line; only ``tutorial``'s options are read (from its entry function, imported for them)."""
    parser = argparse.ArgumentParser(prog="dltutorial", description="Run a Deep Learning Tutorial on PyTensor.")
    sub = parser.add_subparsers(dest="tutorial", required=True, metavar="tutorial")
    for name, (_, _, summary) in TUTORIALS.items():
        p = sub.add_parser(name, help=summary, description=summary)
        if name == tutorial:
            _add_tutorial_options(p, entry_function(name))
    return parser


def _add_tutorial_options(p, func):
    from .core.modes import FLOAT_TYPES, MODE_NAMES, default_mode

    _add_signature_options(p, func)
    params = inspect.signature(func).parameters
    if any(name in params for name in DATASET_PARAMETERS) and "param" not in params:
        p.add_argument("--data", dest="data", default=None,
                       help="the data set: a file or folder (default: looked up; see data/README.md)")
    p.add_argument("--mode", choices=MODE_NAMES, default=default_mode(),
                   help="compile backend (default here: %(default)s)")
    if "floatX" in params:
        p.add_argument("--floatX", choices=FLOAT_TYPES, default="float32",
                       help="float type (default: %(default)s)")
    if "output_folder" in params:
        p.add_argument("--resume", dest="resume", metavar="RUN_FOLDER",
                       help="go on with the interrupted run in RUN_FOLDER, after its last finished epoch")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")


def import_pytensor():
    """Import PyTensor; a setting it refuses at import (``PYTENSOR_FLAGS``, ``OMP_NUM_THREADS``) is one line."""
    try:
        import pytensor  # noqa: F401
    except (ValueError, TypeError) as error:
        sys.exit(f"error: PyTensor refused a setting: {str(error).rstrip('.')}; correct it in PYTENSOR_FLAGS (or the "
                 "environment variable it names), or unset it")


@contextlib.contextmanager
def sigterm_as_ctrl_c():
    """Inside, a SIGTERM (``kill``, a batch system's time limit) stops a run as Ctrl-C does: resumable, saying so."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # only the main thread may handle signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = next((word for word in argv[:1] if word in TUTORIALS), None)
    if chosen:
        import_pytensor()
    args = vars(build_parser(chosen).parse_args(argv))
    from .engine import use_one_blas_thread_by_default

    use_one_blas_thread_by_default()  # before anything compiled loads PyTensor's BLAS
    debug = args.pop("debug")
    func = entry_function(args.pop("tutorial"))
    data = args.pop("data", None)
    params = inspect.signature(func).parameters
    if data is not None:
        args[next(p for p in DATASET_PARAMETERS if p in params)] = data
    args = {k: v for k, v in args.items() if v is not None}
    param = {k.removeprefix("param."): args.pop(k) for k in list(args) if k.startswith("param.")}
    if param:
        args["param"] = param
    resume = args.pop("resume", None)
    from .core.runs import run_to_resume

    with one_line_errors(debug), sigterm_as_ctrl_c():
        if resume is not None:
            if "output_folder" in args:
                raise ArgumentError("--resume and --output-folder both name the run's folder: give one of them")
            args["output_folder"] = run_to_resume(resume)
        func(**args)


@contextlib.contextmanager
def one_line_errors(debug=False, resume=None):
    """End with status 1 and one line for an error or Ctrl-C (with ``debug``, an error's traceback instead).

    After Ctrl-C the line says how to go on: ``resume``, else the ``--resume`` of the run's own folder.
    """
    try:
        yield
    except KeyboardInterrupt as interrupt:
        folder = getattr(interrupt, "run_folder", None)
        how = resume or (f"run it again with --resume {folder}" if folder else "run it again")
        sys.exit(f"interrupted: {how} to go on after the last finished epoch")
    except Exception as error:
        if debug:
            raise
        sys.exit("error: " + describe(error))


def describe(error):
    """One line for ``error``: ours say what to do; a file system error names the file; others ask for --debug."""
    if isinstance(error, TutorialError):
        return str(error)
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error} (check the folder exists, is writable and has free space)"
    return f"{type(error).__name__}: {error} (an unexpected error; rerun with --debug for the traceback)"


if __name__ == "__main__":
    main()
