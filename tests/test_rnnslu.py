"""RNN-SLU: context windows, the Elman network against numpy, CoNLL scores, ATIS files, the entry point."""

import gzip
import json
import pickle
import random

import numpy
import pytest

from dltutorial import rnnslu
from dltutorial.__main__ import main as command_line
from dltutorial.core.data import DataError

from .bounds import assert_within, gamma, trajectory_rtol

SMALL = {"data": "synthetic", "nhidden": 16, "emb_dimension": 8, "win": 3, "nepochs": 4}


def test_contextwin_pads_with_minus_one():
    assert rnnslu.contextwin([0, 1, 2, 3, 4], 3) == [[-1, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, -1]]
    assert rnnslu.contextwin([7], 5) == [[-1, -1, 7, -1, -1]]
    with pytest.raises(AssertionError):
        rnnslu.contextwin([1, 2], 2)


def test_shuffle_keeps_the_lists_aligned_as_the_original_did():
    words, labels = list(range(20)), [10 * i for i in range(20)]
    rnnslu.shuffle([words, labels], 345)
    assert [10 * w for w in words] == labels and words != sorted(words)
    expected = list(range(20))
    random.seed(345)
    random.shuffle(expected)  # the original's random.seed(seed); random.shuffle(l)
    assert words == expected


def test_conlleval_writes_its_file_and_scores_chunks(tmp_path):
    truth = [["O", "B-fromloc.city_name", "I-fromloc.city_name", "O", "B-toloc.city_name"]]
    guess = [["O", "B-fromloc.city_name", "I-fromloc.city_name", "O", "O"]]
    words = [["from", "new", "york", "to", "boston"]]
    scores = rnnslu.conlleval(guess, truth, words, str(tmp_path / "out.txt"))
    assert scores == {"p": 100.0, "r": 50.0, "f1": 66.67}  # one chunk of one found, one of two
    lines = (tmp_path / "out.txt").read_text().splitlines()
    assert lines[:3] == ["BOS O O", "from O O", "new B-fromloc.city_name B-fromloc.city_name"]
    assert lines[-2:] == ["EOS O O", ""]


def sigmoid(a):
    return 1.0 / (1.0 + numpy.exp(-a))


def test_the_elman_network_matches_numpy_and_normalises_its_embeddings(float64):
    rnn = rnnslu.RNNSLU(nh=6, nc=4, ne=10, de=3, cs=3, rng=numpy.random.RandomState(0), mode="c")
    emb, wx, wh, w, bh, b, h0 = (p.get_value() for p in rnn.params)
    sentence, labels = [2, 5, 9, 1], [0, 3, 1, 2]
    windows = numpy.asarray(rnnslu.contextwin(sentence, 3), dtype="int32")
    h, probs = h0, []
    for window in windows:
        h = sigmoid(emb[window].ravel() @ wx + h @ wh + bh)
        scores = numpy.exp(h @ w + b)
        probs.append(scores / scores.sum())
    probs = numpy.array(probs)
    numpy.testing.assert_array_equal(rnn.classify(windows), probs.argmax(axis=1))
    nll = rnn.sentence_train(windows, numpy.asarray(labels, dtype="int32"), 0.1)
    expected = -numpy.log(probs[numpy.arange(4), labels]).mean()
    # four steps of the recurrence (9- and 6-term products, a sigmoid), then the softmax's 4 terms, a log and a mean
    rtol = trajectory_rtol(4 + 1, (1, 9, 6, 4), "float64")
    assert_within(nll, expected, rtol * (expected + abs(numpy.log(probs)).max()), "negative log-likelihood")
    assert not numpy.allclose(rnn.wx.get_value(), wx)  # the step moved the weights
    rnn.normalize()
    # each row divided by its norm (3 squares, a sum, a square root): within a few roundings of 1, numpy's norm too
    norms = numpy.linalg.norm(rnn.emb.get_value(), axis=1)  # ne words and the padding index
    assert_within(norms, numpy.ones_like(norms), 2 * gamma(3 + 4, "float64"), "norms")


def test_main_learns_the_generated_task_and_prints_the_originals_lines(tmp_path, capsys):
    record = rnnslu.main(SMALL, output_folder=str(tmp_path / "run"))
    out = capsys.readouterr().out
    assert record["best_valid_f1"] > 80 and record["best_test_f1"] > 60  # from 0 at the first epoch
    assert record["valid_f1"][0] < record["best_valid_f1"] and len(record["valid_f1"]) == 4
    assert "('NEW BEST: epoch', 0, 'valid F1', " in out and "[learning] epoch 3 >> 100.00% completed in" in out
    assert f"('BEST RESULT: epoch', {record['best_epoch']}, 'valid F1', {record['best_valid_f1']}" in out
    best = (tmp_path / "run" / "best.valid.txt").read_text()
    assert best.startswith("BOS O O\n") and " B-" in best
    assert json.loads((tmp_path / "run" / "results.json").read_text())["vf1"] == record["vf1"]


@pytest.mark.resume
def test_an_interrupted_run_resumes_with_the_same_numbers(tmp_path, monkeypatch, float64):
    whole = rnnslu.main(SMALL, output_folder=str(tmp_path / "whole"), floatX="float64")
    calls, conlleval = [], rnnslu.conlleval

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 5:  # the third epoch's first evaluation
            raise KeyboardInterrupt
        return conlleval(*args)
    with monkeypatch.context() as patch:
        patch.setattr(rnnslu, "conlleval", interrupted)
        with pytest.raises(KeyboardInterrupt):
            rnnslu.main(SMALL, output_folder=str(tmp_path / "split"), floatX="float64")
    resumed = rnnslu.main(SMALL, output_folder=str(tmp_path / "split"), floatX="float64")
    assert resumed["valid_f1"] == whole["valid_f1"] and resumed["test_f1"] == whole["test_f1"]


def write_fold(folder, fold):
    """A tiny fold in the original's format (a protocol-2 pickle of three sets and the dicts)."""
    train, valid, test, dicts = rnnslu.synthetic_atis(60, 20, 20, rng=numpy.random.RandomState(fold))
    with gzip.open(folder / f"atis.fold{fold}.pkl.gz", "wb") as f:
        pickle.dump((train, valid, test, dicts), f, protocol=2)


def test_atis_folds_are_read_from_the_users_folder_or_named_when_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("ATISDATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"atis.fold3.pkl.gz not found in .*nowhere.*--data synthetic"):
        rnnslu.atisfold(3)
    write_fold(tmp_path, 1)
    train, valid, test, dicts = rnnslu.atisfold(1, tmp_path)
    assert len(train[0]) == 60 and "O" in dicts["labels2idx"]
    record = rnnslu.main({**SMALL, "data": str(tmp_path), "fold": 1, "nepochs": 1}, output_folder=str(tmp_path / "r"))
    assert record["be"] == 0 and 0 <= record["vf1"] <= 100
    (tmp_path / "atis.fold2.pkl.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match=r"atis.fold2.pkl.gz: corrupt or truncated pickle .*; download it again"):
        rnnslu.atisfold(2, tmp_path)
    with pytest.raises(DataError, match=r"atis.fold1.pkl.gz: a file; give the folder that holds"):
        rnnslu.atisfold(1, tmp_path / "atis.fold1.pkl.gz")


def test_the_command_line_fills_the_param_dict(tmp_path):
    command_line(["rnnslu", "--data", "synthetic", "--nepochs", "1", "--nhidden", "8", "--emb-dimension", "4",
                  "--win", "5", "--no-decay", "--output-folder", str(tmp_path / "cli")])
    parameters = json.loads((tmp_path / "cli" / "results.json").read_text())["parameters"]
    assert parameters["win"] == 5 and parameters["nhidden"] == 8 and parameters["decay"] is False
    assert parameters["lr"] == rnnslu.DEFAULT_PARAM["lr"] and parameters["data"] == "synthetic"
    with pytest.raises(SystemExit, match="win=4 .*must be odd"):
        command_line(["rnnslu", "--data", "synthetic", "--win", "4"])
