"""Sequences for the LSTM tutorial: the IMDB reviews, or a generated task of the same form.

A data set is three ``(sequences, labels)`` pairs (train, valid, test); a
sequence is a list of word indices (1 is "unknown word", 0 is never used, it
pads).  :func:`prepare_data` turns a minibatch of sequences into the padded
``(time, samples)`` index matrix and its 0/1 mask that the LSTM reads.

* :func:`load_data` reads the tutorial's ``imdb.pkl`` (two Python 2 pickles
  in one file, optionally gzipped: the train pair, then the test pair) and
  splits a validation set off the training set, as the original did.
* :func:`synthetic_data` generates a task anyone can run without the data:
  reviews whose label says whether "positive" words outnumber "negative" ones.
"""

import numbers
import os
from pathlib import Path

import numpy
import pytensor

from .core.data import DataError, data_dir, unpickle
from .core.errors import ArgumentError

IMDB_URL = "http://www.iro.umontreal.ca/~lisa/deep/data/imdb.pkl"


def prepare_data(seqs, labels, maxlen=None):
    """Pad a minibatch of sequences into ``x`` (time, samples) int64, its ``mask`` and the labels.

    With ``maxlen``, sequences of ``maxlen`` words or more are dropped;
    returns ``(None, None, None)`` when none is left.
    """
    if maxlen is not None:
        kept = [(s, y) for s, y in zip(seqs, labels) if len(s) < maxlen]
        if not kept:
            return None, None, None
        seqs, labels = [s for s, _ in kept], [y for _, y in kept]
    lengths = [len(s) for s in seqs]
    x = numpy.zeros((max(lengths), len(seqs)), dtype="int64")
    mask = numpy.zeros((max(lengths), len(seqs)), dtype=pytensor.config.floatX)
    for i, s in enumerate(seqs):
        x[:lengths[i], i] = s
        mask[:lengths[i], i] = 1.0
    return x, mask, numpy.asarray(labels, dtype="int64")


def find_imdb(path="imdb.pkl"):
    """The path of ``imdb.pkl``: as given, else in the current folder, ``$DLTUTORIAL_IMDB``, ``data/``.

    Raises :class:`DataError` naming every place it looked.
    """
    if Path(path).is_dir():  # the folder that holds it, as $DLTUTORIAL_IMDB names one
        path = Path(path) / "imdb.pkl"
    candidates = [Path(path)]
    if not Path(path).is_absolute():
        folders = [Path.cwd(), os.environ.get("DLTUTORIAL_IMDB"), data_dir()]
        candidates += [Path(folder) / Path(path).name for folder in folders if folder]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(dict.fromkeys(str(c.resolve()) for c in candidates))
    raise DataError(f"{Path(path).name} not found (looked in {looked}); download {IMDB_URL} into data/, "
                    "set DLTUTORIAL_IMDB to its folder, or use the generated task (--data synthetic)")


def _is_reviews(pair):
    """True for a (sequences, labels) pair of equal lengths: word-index lists and integer labels."""
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2
            and all(isinstance(part, (tuple, list, numpy.ndarray)) for part in pair) and len(pair[0]) == len(pair[1])):
        return False
    sequences, labels = pair
    return (all(isinstance(s, (tuple, list, numpy.ndarray)) and all(isinstance(w, numbers.Integral) for w in s)
                for s in sequences)
            and all(isinstance(label, numbers.Integral) for label in labels))


def read_imdb_pickle(path):
    """The (train, test) pairs of an ``imdb.pkl`` (two Python 2 pickles, gzipped or not)."""
    train_set, test_set = unpickle(path, "the tutorial's imdb.pkl", f"delete it and download {IMDB_URL}", count=2)
    for name, pair in (("train", train_set), ("test", test_set)):
        if not _is_reviews(pair):
            raise DataError(f"{path}: the {name} set is not a (sequences, labels) pair of equal lengths, "
                            f"word-index lists and integer labels; delete it and download {IMDB_URL}")
    return train_set, test_set


def load_data(path="imdb.pkl", n_words=100000, valid_portion=0.1, maxlen=None, sort_by_len=True, rng=None):
    """Load IMDB as the tutorial did: train, valid and test ``(sequences, labels)`` pairs.

    :param n_words: vocabulary size; words of index ``n_words`` or more become 1 (unknown)
    :param valid_portion: fraction of the training set kept apart for validation
    :param maxlen: drop training sequences of ``maxlen`` words or more (None: keep all)
    :param sort_by_len: sort each set by length, so that minibatches pad little
    :param rng: numpy RandomState for the validation split (the tutorial's global seed 123)
    """
    if path == "synthetic":
        return synthetic_data(n_words=min(n_words, 100), maxlen=maxlen or 30, rng=rng)
    train_set, test_set = read_imdb_pickle(find_imdb(path))
    if maxlen:
        train_set = tuple(zip(*[(x, y) for x, y in zip(*train_set) if len(x) < maxlen])) or ((), ())
    rng = rng or numpy.random.RandomState(123)
    order = rng.permutation(len(train_set[0]))
    n_train = int(numpy.round(len(order) * (1.0 - valid_portion)))
    valid_set = _take(train_set, order[n_train:])
    train_set = _take(train_set, order[:n_train])
    sets = []
    for xs, ys in (train_set, valid_set, test_set):
        xs = [[1 if w >= n_words else w for w in s] for s in xs]
        if sort_by_len:
            order = sorted(range(len(xs)), key=lambda i: len(xs[i]))
            xs, ys = [xs[i] for i in order], [ys[i] for i in order]
        sets.append((xs, list(ys)))
    return tuple(sets)


def _take(pair, indices):
    return [pair[0][i] for i in indices], [pair[1][i] for i in indices]


def synthetic_data(n_words=100, n_train=2000, n_valid=200, n_test=500, maxlen=30, rng=None):
    """A generated sentiment task: label 1 when "positive" words outnumber "negative" ones.

    Words 2-11 are positive, 12-21 negative, the rest neutral; each sequence
    has 5 to ``maxlen - 1`` words, a third of them sentiment words; a tie gets
    one more positive word at the end.  An LSTM that averages its outputs
    over time can learn it; a model that reads single words cannot do well.
    """
    if n_words < 30:
        raise ArgumentError(f"n_words={n_words} (--n-words): the synthetic task needs a vocabulary of at least 30 "
                            "words")
    if maxlen is None or maxlen < 7:
        raise ArgumentError(f"maxlen={maxlen} (--maxlen): the synthetic task's reviews have 5 to maxlen - 1 words, "
                            "one more on a tie: give at least 7")
    rng = rng or numpy.random.RandomState(123)
    positive, negative = numpy.arange(2, 12), numpy.arange(12, 22)

    def review():
        length = rng.randint(5, maxlen - 1)
        words = rng.randint(22, n_words, size=length)
        sentiment = rng.rand(length) < 1 / 3
        words[sentiment] = numpy.where(rng.rand(sentiment.sum()) < 0.5,
                                       rng.choice(positive, sentiment.sum()), rng.choice(negative, sentiment.sum()))
        score = numpy.isin(words, positive).sum() - numpy.isin(words, negative).sum()
        if score == 0:
            words, score = numpy.append(words, rng.choice(positive)), 1
        return [int(w) for w in words], int(score > 0)

    def split(n):
        pairs = [review() for _ in range(n)]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    return split(n_train), split(n_valid), split(n_test)
