"""Fixtures: every test in its own folder, tiny data sets (IDX files and the original pickle), float64.

Before anything imports Numba, JAX or PyTensor: the tests check numbers, not
speed, so they compile quickly (gcc ``-O0`` instead of PyTensor's ``-O3``: cold,
test_rewrites' batch-1 test and test_logistic_mlp.py took 81 s against 96 s with
``-O1`` on an AMD EPYC, 2 cores; Numba's LLVM optimisation level 1; the flags users
run with are tests/test_production_flags.py's) into compile directories of their own, so
that training runs never pick up the less optimised kernels. These live inside
the virtual environment that runs the tests (``.venv/pytensor-tests``): a
rebuilt ``.venv`` starts cold, an existing one warm. JAX keeps its compiled
XLA programs there too (JAX's persistent cache, every program however quick).
The user's own ``PYTENSOR_FLAGS`` and ``JAX_*`` settings still win.
"""

import os
import sys
from pathlib import Path

IN_A_VENV = sys.prefix != sys.base_prefix
TESTS_COMPILEDIR = (Path(sys.prefix) if IN_A_VENV else Path.home() / ".pytensor") / "pytensor-tests"
# PyTensor runs g++ under one lock per compile directory, so two pytest-xdist workers sharing one compile one module
# at a time: each worker has a directory of its own, and a cold make test compiles on both cores
C_COMPILEDIR = TESTS_COMPILEDIR / f"c-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
os.environ.setdefault("NUMBA_OPT", "1")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(TESTS_COMPILEDIR / "jax"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
# the user's own flags, as pytest's first process found them: its worker processes inherit the flags set below
USERS_PYTENSOR_FLAGS = os.environ.setdefault("DLTUTORIAL_USERS_PYTENSOR_FLAGS", os.environ.get("PYTENSOR_FLAGS", ""))


def tests_pytensor_flags(cxxflags):
    """PYTENSOR_FLAGS for the tests (and the processes they start): ours, then the user's, which win."""
    return ",".join(flag for flag in (f"base_compiledir={C_COMPILEDIR}", f"gcc__cxxflags={cxxflags}",
                                      USERS_PYTENSOR_FLAGS) if flag)


os.environ["PYTENSOR_FLAGS"] = tests_pytensor_flags("-O0")

import gzip  # noqa: E402 (after the settings above)
import pickle  # noqa: E402
import shutil  # noqa: E402

import numpy  # noqa: E402
import pytensor  # noqa: E402
import pytest  # noqa: E402

from dltutorial.core.tiny_data import make_images, write_idx_folder  # noqa: E402

from .precompiled_headers import precompiled_header  # noqa: E402

HEADER = precompiled_header()
if HEADER is not None:  # for this process and the ones the tests start (the same modules, the same header)
    pytensor.config.gcc__cxxflags += f" -include {HEADER}"
    os.environ["PYTENSOR_FLAGS"] = tests_pytensor_flags(pytensor.config.gcc__cxxflags)


OTHER_BACKENDS = {"numba", "jax"}


def pytest_sessionfinish(session):
    """A worker hands the C modules it compiled to the other workers' directories, for their next run.

    Hard links, each module's folder renamed into place when whole; PyTensor takes a module folder found in
    another compile directory under the same name as the same module (``cmodule.is_same_entry``).  Without
    this, the run after a cold one compiled again whatever the other worker had compiled.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    ours = Path(pytensor.config.compiledir)
    for sibling in C_COMPILEDIR.parent.glob("c-*"):
        theirs = sibling / ours.name
        if sibling == C_COMPILEDIR or not theirs.is_dir():
            continue
        for module in ours.glob("tmp*"):
            if (module / "key.pkl").exists() and not (theirs / module.name).exists():
                part = theirs / f".{module.name}.{os.getpid()}.part"
                shutil.copytree(module, part, copy_function=os.link)
                try:
                    os.replace(part, theirs / module.name)
                except OSError:  # the other worker handed over the same module meanwhile
                    shutil.rmtree(part)


def pytest_collection_modifyitems(items):
    """A case run in the numba or jax mode is part of the backend matrix (``make test-all``): marked ``backends``."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("mode") in OTHER_BACKENDS:
            item.add_marker(pytest.mark.backends)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Every test runs in its own empty folder: the run folders it makes (``runs/...``) land there.

    Nor does a test see the user's data: the data folder is an empty one of its own, and the variables that
    point the loaders at other folders are unset (for the processes a test starts, too).
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLTUTORIAL_DATA_DIR", str(tmp_path / "data-folder"))
    for variable in ("DLTUTORIAL_DATA", "DLTUTORIAL_IMDB", "ATISDATA"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def tiny_idx(tmp_path):
    """A folder with the four IDX files (gzipped): 500 train, 100 valid, 120 test images."""
    return write_idx_folder(tmp_path / "idx")


@pytest.fixture
def tiny_pickle(tmp_path):
    """The same data as ``tiny_idx`` in the original mnist.pkl.gz layout (protocol-2 pickle)."""
    train_x, train_y = make_images(600, 1)
    test_x, test_y = make_images(120, 2)

    def rows(x):
        return x.reshape(len(x), -1).astype(numpy.float32) / 256.0

    splits = ((rows(train_x[:500]), train_y[:500].astype(numpy.int64)),
              (rows(train_x[500:]), train_y[500:].astype(numpy.int64)),
              (rows(test_x), test_y.astype(numpy.int64)))
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(splits, f, protocol=2)
    return path


@pytest.fixture
def float64():
    """Build and compile in float64 (tight comparisons)."""
    with pytensor.config.change_flags(floatX="float64"):
        yield
