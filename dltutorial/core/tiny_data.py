"""Tiny generated data sets that train in seconds: for the tests and the notebooks.

``write_idx_folder`` writes MNIST's four IDX files for separable 8x8 block
"digits" (class k lights up block k); ``write_music_folder`` writes MIDI
pieces of a chord progression for the RNN-RBM.  Neither is a stand-in for
the real data sets' results: they make a tutorial run end to end in seconds.
"""

import gzip
from pathlib import Path

import numpy

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
    """Write the four (gzipped) IDX files of a tiny MNIST-like set into ``folder``; return it."""
    folder = Path(folder)
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


def write_music_folder(folder, n_train=4, n_test=2, n_frames=40):
    """``folder/train`` and ``folder/test`` of MIDI files: a I-IV-V-I progression of triads, 4 frames a chord.

    The pieces start on different chords, so that a model must follow the
    history to predict the next frame.  Frames are 0.3 s (the RNN-RBM's ``dt``).
    """
    from .midi import midiwrite

    folder = Path(folder)
    for split, n in (("train", n_train), ("test", n_test)):
        (folder / split).mkdir(parents=True, exist_ok=True)
        for piece in range(n):
            roll = numpy.zeros((n_frames, 88))
            for t in range(n_frames):
                root = 39 + (0, 5, 7, 0)[(t // 4 + piece) % 4]  # C4 (MIDI 60) is column 39
                roll[t, [root, root + 4, root + 7]] = 1
            midiwrite(folder / split / f"piece{piece}.mid", roll, (21, 109), 0.3)
    return folder
