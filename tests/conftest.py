"""Tiny MNIST-like data sets the tests write themselves (IDX files and the original pickle)."""

import gzip
import pickle

import numpy
import pytensor
import pytest

SIDE = 8  # 8x8 "digits": 64 pixels, fast to train on


def make_images(n, seed, side=SIDE):
    """``n`` separable ``side``x``side`` images of 10 classes: class k lights up a block (plus noise)."""
    rng = numpy.random.RandomState(seed)
    labels = rng.randint(0, 10, size=n).astype(numpy.uint8)
    images = rng.randint(0, 60, size=(n, side, side)).astype(numpy.uint8)
    block = side // 4
    for i, k in enumerate(labels):
        r, c = divmod(int(k), 4)
        images[i, block * r: block * (r + 1), block * c: block * (c + 1)] = 250
    return images, labels


def idx_bytes(array):
    """Encode ``array`` (uint8) in the IDX format."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_idx_folder(folder, n_train=600, n_test=120, compress=True, side=SIDE):
    folder.mkdir(parents=True, exist_ok=True)
    train_x, train_y = make_images(n_train, 1, side)
    test_x, test_y = make_images(n_test, 2, side)
    files = {"train-images-idx3-ubyte": train_x, "train-labels-idx1-ubyte": train_y,
             "t10k-images-idx3-ubyte": test_x, "t10k-labels-idx1-ubyte": test_y}
    for stem, array in files.items():
        data = idx_bytes(array)
        if compress:
            with gzip.open(folder / (stem + ".gz"), "wb") as f:
                f.write(data)
        else:
            (folder / stem).write_bytes(data)
    return folder


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Every test runs in its own empty folder: the run folders it makes (``runs/...``) land there."""
    monkeypatch.chdir(tmp_path)


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
