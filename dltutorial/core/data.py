"""MNIST for the tutorials: find it, check it, split it, put it in shared variables.

``load_data(dataset)`` accepts what users have:

* the original ``mnist.pkl.gz`` (a Python 2 pickle of three ``(x, y)`` pairs);
* a folder holding the four MNIST IDX files (gzipped or not), from which it
  derives the tutorial's split: train = the first 50,000 training images,
  valid = the last 10,000, test = the 10,000 test images, pixels as
  float32 ``value / 256`` (the original file's largest value is
  255/256 = 0.99609375).

A name that is not a path is looked up in the current folder, then in
``$DLTUTORIAL_DATA``, then in the data folder (:func:`data_dir`); when
``mnist.pkl.gz`` is asked for and a folder holds the IDX files instead,
those are used.  ``python -m dltutorial.core.data fetch`` downloads the IDX files
from the public mirrors, checking each file's md5.

Every problem with a data file raises :class:`DataError` with one line that
names the file and says what to do.
"""

import argparse
import gzip
import hashlib
import io
import math
import os
import pickle
import shutil
import sys
import urllib.request
import zlib
from pathlib import Path

import numpy
import pytensor
import pytensor.tensor as pt

from .errors import TutorialError
from .files import atomic_write

CHECKOUT = Path(__file__).resolve().parents[2]  # the project's folder, when dltutorial runs from a checkout


def data_dir():
    """The folder downloads land in and lookups search last.

    ``$DLTUTORIAL_DATA_DIR`` when set; else, run from a checkout, its
    ``data/`` folder (git ignores the files downloaded there); else, installed
    from a wheel, ``~/.cache/dltutorial`` (``$XDG_CACHE_HOME/dltutorial``):
    never a folder inside site-packages.
    """
    if os.environ.get("DLTUTORIAL_DATA_DIR"):
        return Path(os.environ["DLTUTORIAL_DATA_DIR"])
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "data").is_dir():
        return CHECKOUT / "data"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dltutorial"


# file stem -> (md5 of the published .gz, md5 of the uncompressed file)
MNIST_MD5 = {
    "train-images-idx3-ubyte": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte": ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte": ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte": ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
N_TRAIN = 50000  # the tutorial's training set: the first 50,000 training images
HOW_TO_GET = "run `make data` (or python -m dltutorial.core.data fetch), pass --data PATH, or set DLTUTORIAL_DATA"
REPAIR = HOW_TO_GET + " (make data replaces a corrupt file)"

_IDX_DTYPES = {0x08: numpy.uint8, 0x09: numpy.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(TutorialError):
    """A data file is missing, corrupt or of the wrong shape."""


def _read_bytes(path, fix=REPAIR):
    """Return the content of ``path``, decompressed when it is gzipped; ``fix`` says what to do when it is corrupt."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; {HOW_TO_GET if fix is REPAIR else fix}") from None
    except (EOFError, OSError, zlib.error) as error:
        raise DataError(f"{path}: corrupt or truncated file ({error}); {fix}") from None


def unpickle(path, what, fix, count=1):
    """The ``count`` objects pickled one after another in ``path`` (Python 2 pickles, gzipped or not).

    A file that is empty, corrupt, truncated, or names a class this Python
    does not have is a DataError naming ``path``, ``what`` it should be and
    the ``fix``.
    """
    return _unpickle_bytes(_read_bytes(Path(path), fix), path, what, fix, count)


def _unpickle_bytes(raw, path, what, fix, count=1):
    """:func:`unpickle` of the content ``raw`` already read from ``path``."""
    if not raw:
        raise DataError(f"{path}: an empty file; {fix}")
    stream = io.BytesIO(raw)
    try:
        return [pickle.load(stream, encoding="latin1") for _ in range(count)]  # the originals are Python 2 pickles
    except (EOFError, KeyError, IndexError, pickle.UnpicklingError, ValueError) as error:
        raise DataError(f"{path}: corrupt or truncated pickle ({error or type(error).__name__}); {fix}") from None
    except (ImportError, AttributeError, TypeError) as error:  # it names a class this Python does not have
        raise DataError(f"{path}: not {what} (it needs {error}); {fix}") from None


def read_idx(path):
    """Read one IDX file (``.gz`` or not) into a numpy array, checking its header."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()}); {REPAIR}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = numpy.dtype(_IDX_DTYPES[raw[2]])
    expected = header + int(numpy.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path}: truncated IDX file ({len(raw)} bytes, header says {expected}); {REPAIR}")
    return numpy.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _idx_file(folder, stem):
    """The path of IDX file ``stem`` in ``folder``, gzipped or not, or None."""
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _holds_idx(folder):
    return folder.is_dir() and all(_idx_file(folder, stem) for stem in MNIST_MD5)


def find_dataset(dataset):
    """Resolve ``dataset`` to an existing pickle file or IDX folder (see module doc)."""
    if not isinstance(dataset, (str, os.PathLike)):
        raise DataError(f"dataset={dataset!r}: give the path of a file or folder (a str or a Path)")
    dataset = Path(dataset)
    if dataset.is_dir() and not _holds_idx(dataset) and (dataset / "mnist.pkl.gz").is_file():
        return dataset / "mnist.pkl.gz"  # the folder the original pickle is in
    if dataset.exists():
        return dataset
    if dataset.is_absolute():
        raise DataError(f"{dataset}: not found; {HOW_TO_GET}")
    folders = [Path.cwd()]
    if os.environ.get("DLTUTORIAL_DATA"):
        folders.append(Path(os.environ["DLTUTORIAL_DATA"]))
    folders.append(data_dir())
    for folder in folders:
        candidate = folder / dataset
        if candidate.exists():
            return candidate
        if dataset.name == "mnist.pkl.gz" and _holds_idx(folder):
            return folder
    looked = ", ".join(str(f) for f in folders)
    raise DataError(f"{dataset} not found (looked in {looked}); {HOW_TO_GET}")


def _check_split(source, splits):
    """Raise DataError unless ``splits`` is three (x, y) pairs of matching rows: pixels in [0, 1], digit labels."""
    if not (isinstance(splits, (tuple, list)) and len(splits) == 3):
        raise DataError(f"{source}: holds a {type(splits).__name__}, not the three (x, y) pairs (train, valid, test) "
                        "of mnist.pkl.gz")
    for name, pair in zip(("train", "valid", "test"), splits):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise DataError(f"{source}: the {name} set is a {type(pair).__name__}, not an (x, y) pair")
        x, y = (numpy.asarray(a) for a in pair)
        if not (numpy.issubdtype(x.dtype, numpy.number) and numpy.issubdtype(y.dtype, numpy.number)):
            raise DataError(f"{source}: {name} set holds {x.dtype} images and {y.dtype} labels, expected numbers")
        if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
            raise DataError(
                f"{source}: {name} set has shapes x{x.shape} y{y.shape}; "
                "expected x (n, n_pixels) and y (n,)"
            )
        if not len(y):
            raise DataError(f"{source}: the {name} set is empty")
        if not numpy.isfinite(x).all():
            raise DataError(f"{source}: {name} set has {(~numpy.isfinite(x)).sum()} NaN or infinite pixels; "
                            f"{REPAIR}")
        if x.min() < 0 or x.max() > 1:
            raise DataError(f"{source}: {name} set's pixels range over {x.min():g}..{x.max():g}, expected MNIST's "
                            "0..1 (the cross-entropy costs and the RBMs' samples need it): divide them by their "
                            "maximum, e.g. 255")
        if not numpy.issubdtype(y.dtype, numpy.integer):
            raise DataError(f"{source}: {name} labels are {y.dtype}, expected integers")
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{source}: {name} labels range over {y.min()}..{y.max()}, expected the digits 0..9")
    widths = {numpy.asarray(pair[0]).shape[1] for pair in splits}
    if len(widths) != 1:
        raise DataError(f"{source}: the three sets have different image sizes {sorted(widths)}")


def _load_pickle(path):
    """The splits pickled in ``path``, gzipped or not whatever its name says."""
    raw = _read_bytes(path)
    if raw[:2] == b"\0\0" and len(raw) > 3 and raw[2] in _IDX_DTYPES:
        raise DataError(f"{path}: one IDX file; give the folder that holds the four "
                        f"({', '.join(MNIST_MD5)}, .gz or not)")
    (splits,) = _unpickle_bytes(raw, path, "the tutorial's mnist.pkl.gz", REPAIR)
    return splits


def _load_idx_folder(folder):
    missing = [stem for stem in MNIST_MD5 if _idx_file(folder, stem) is None]
    if missing:
        raise DataError(f"{folder}: {', '.join(missing)} (.gz or not) missing from the IDX folder; {HOW_TO_GET}")
    images = {s: read_idx(_idx_file(folder, s)) for s in MNIST_MD5}
    for stem, array in images.items():
        wanted = 3 if "images" in stem else 1
        if array.ndim != wanted:
            raise DataError(f"{_idx_file(folder, stem)}: {array.ndim}-D array, expected {wanted}-D")
        if array.dtype != numpy.uint8:  # MNIST's pixels and labels are unsigned bytes; floats would be truncated
            raise DataError(f"{_idx_file(folder, stem)}: holds {array.dtype.name} values, expected MNIST's unsigned "
                            f"bytes; {REPAIR}")
    train_x, test_x = (images[s + "-images-idx3-ubyte"] for s in ("train", "t10k"))
    train_y, test_y = (images[s + "-labels-idx1-ubyte"] for s in ("train", "t10k"))
    for x, y, name in ((train_x, train_y, "train"), (test_x, test_y, "t10k")):
        if len(x) != len(y):
            raise DataError(f"{folder}: {name} has {len(x)} images but {len(y)} labels")

    def rows(x):  # (n, side, side) -> (n, side * side), for n = 0 too
        return x.reshape(len(x), int(numpy.prod(x.shape[1:]))).astype(numpy.float32) / 256.0

    n_train = N_TRAIN if len(train_x) > N_TRAIN else len(train_x) * 5 // 6
    return (
        (rows(train_x[:n_train]), train_y[:n_train].astype(numpy.int64)),
        (rows(train_x[n_train:]), train_y[n_train:].astype(numpy.int64)),
        (rows(test_x), test_y.astype(numpy.int64)),
    )


def load_mnist(dataset="mnist.pkl.gz"):
    """Return ``[(train_x, train_y), (valid_x, valid_y), (test_x, test_y)]`` as numpy arrays.

    A folder of IDX files with fewer than 50,000 training images (a small
    test set) keeps its last sixth for validation.
    """
    path = find_dataset(dataset)
    splits = _load_idx_folder(path) if path.is_dir() else _load_pickle(path)
    _check_split(path, splits)
    return [(numpy.asarray(x), numpy.asarray(y)) for x, y in splits]


def shared_dataset(data_xy, borrow=True):
    """Put one (x, y) pair in shared variables, as the tutorial does.

    The data lives in shared variables so that a GPU backend can keep it on
    the device and each call only slices it.  Labels are stored as floatX
    and cast to int32 symbolically, exactly like the original.  The number of
    columns is part of ``x``'s type, so minibatches have a static shape (JAX needs it).
    """
    data_x, data_y = data_xy
    floatX = pytensor.config.floatX
    data_x = numpy.asarray(data_x, dtype=floatX)
    shared_x = pytensor.shared(data_x, borrow=borrow, shape=(None, *data_x.shape[1:]))
    shared_y = pytensor.shared(numpy.asarray(data_y, dtype=floatX), borrow=borrow)
    return shared_x, pt.cast(shared_y, "int32")


def image_side(set_x, dataset):
    """The side of the square images in ``set_x`` (one a row); a DataError naming ``dataset`` if they are not square.

    The tutorials that draw their filters, and LeNet's convolutions, take square images.
    """
    pixels = set_x.get_value(borrow=True).shape[1]
    side = math.isqrt(pixels)
    if side * side != pixels:
        raise DataError(f"{dataset}: its images have {pixels} pixels, not a square's: this tutorial takes square "
                        "images (MNIST's are 28 x 28)")
    return side


def load_data(dataset="mnist.pkl.gz"):
    """Load a dataset into shared variables: ``[(train_x, train_y), (valid...), (test...)]``."""
    print("... loading data")
    return [shared_dataset(pair) for pair in load_mnist(dataset)]


def _md5_ok(path, expected):
    """True when the file or its decompressed content has one of ``expected`` md5s (False when corrupt)."""
    if hashlib.md5(path.read_bytes()).hexdigest() in expected:
        return True
    try:
        return hashlib.md5(_read_bytes(path)).hexdigest() in expected
    except DataError:
        return False


def fetch(dest=None, mirrors=MIRRORS, checksums=MNIST_MD5, timeout=60):
    """Download the MNIST IDX files into ``dest`` (default: :func:`data_dir`), verifying each file's md5.

    Files already there with a good checksum are kept; a corrupt or wrong one
    is downloaded again (it stays until a good copy replaces it).  Each download is
    written to a temporary file and only moved into place once its checksum
    is right, so a failed or interrupted download leaves nothing behind.
    """
    dest = Path(dest) if dest else data_dir()
    for stem, expected in checksums.items():
        target = dest / (stem + ".gz")
        if target.exists():
            if _md5_ok(target, expected):
                print(f"{target}: present, checksum ok")
                continue
            print(f"{target}: corrupt or not MNIST's (wrong md5), downloading it again")
        errors = []
        for mirror in mirrors:
            url = mirror + stem + ".gz"
            try:
                with atomic_write(target) as out:
                    with urllib.request.urlopen(url, timeout=timeout) as response:
                        shutil.copyfileobj(response, out)
                    out.flush()
                    if not _md5_ok(Path(out.name), expected):
                        raise DataError("wrong md5 checksum")
                print(f"{target}: downloaded from {mirror}")
                break
            except (OSError, DataError) as error:
                errors.append(f"{url}: {error}")
        else:
            raise DataError(
                f"could not download {stem}.gz from any mirror (last: {errors[-1]}); "
                f"copy the four MNIST IDX files into {dest} or set DLTUTORIAL_DATA"
            )
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dltutorial.core.data", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("fetch", help="download the MNIST IDX files, verifying their md5")
    get.add_argument("--dest", default=str(data_dir()), help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        fetch(args.dest)
    except DataError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
