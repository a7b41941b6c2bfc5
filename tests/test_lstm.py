"""The LSTM layer (scan), its gradient and mask, the character model and the sentiment classifier (issue 7)."""

import gzip
import json
import pickle

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.replace import graph_replace

from dltutorial.core.compile import compile_function
from dltutorial.core.data import DataError
from dltutorial.core.errors import TrainingDiverged
from dltutorial.core.modes import compile_mode
from dltutorial.imdb import load_data, prepare_data, synthetic_data
from dltutorial import lstm
from dltutorial.lstm import train_lstm
from dltutorial.lstm_chars import lstm_chars

from .bounds import assert_within, gamma, trajectory_rtol


def lstm_outputs(x, mask, n_in, dim, seed):
    """The original's functions: an LSTM's parameters (tparams) and its outputs h over ``x``."""
    options = {"dim_proj": dim, "n_in": n_in}
    tparams = lstm.init_tparams(lstm.param_init_lstm(options, {}, rng=numpy.random.RandomState(seed)))
    return tparams, lstm.lstm_layer(tparams, x, options, mask=mask)


def test_lstm_scan_gradient_matches_finite_differences(float64):
    """verify_grad through the scan, with respect to the input and all three parameters, with a mask."""
    rng = numpy.random.RandomState(0)
    mask_value = numpy.array([[1, 1], [1, 1], [1, 0], [1, 0]], dtype="float64")  # the 2nd sequence is shorter
    weights = rng.randn(4, 2, 3)  # a fixed random projection of the outputs: a non-trivial scalar cost

    def cost(x, W, U, b):
        tparams, h = lstm_outputs(x, pt.constant(mask_value), 2, 3, seed=1)
        out = graph_replace(h, {tparams["lstm_W"]: W, tparams["lstm_U"]: U, tparams["lstm_b"]: b})
        return (out * weights).sum()

    layer_rng = numpy.random.RandomState(1)
    point = [rng.randn(4, 2, 2), 0.5 * layer_rng.randn(2, 12), 0.5 * rng.randn(3, 12), 0.1 * rng.randn(12)]
    pytensor.gradient.verify_grad(cost, point, rng=rng, eps=1e-6, abs_tol=1e-6, rel_tol=1e-5, mode=compile_mode())


def test_masked_positions_do_not_change_the_result(float64):
    """Padding a sequence with anything, mask 0, leaves its outputs, final state and mean pooling unchanged."""
    x, mask = pt.tensor3("x"), pt.matrix("mask")
    _, h = lstm_outputs(x, mask, 4, 5, seed=3)
    pooled = (h * mask[:, :, None]).sum(axis=0) / mask.sum(axis=0)[:, None]
    run = compile_function([x, mask], [h, pooled])
    rng = numpy.random.RandomState(4)
    short = rng.randn(3, 1, 4)
    padded = numpy.concatenate([short, 100 * rng.randn(4, 1, 4)])  # garbage after the end
    out_short, pooled_short = run(short, numpy.ones((3, 1)))
    out_padded, pooled_padded = run(padded, numpy.r_[numpy.ones(3), numpy.zeros(4)][:, None])
    # the same step function on the same values (3 steps of a 4-input, 5-unit LSTM), then the mask's exact 0 and 1
    rtol = trajectory_rtol(3, (1, 4, 5, 5), "float64")
    assert_within(out_padded[:3], out_short, rtol * (abs(out_short) + abs(out_short).max()), "outputs")
    assert_within(out_padded[3:], numpy.repeat(out_short[-1:], 4, axis=0), rtol * abs(out_short).max(), "kept state")
    assert_within(pooled_padded, pooled_short, (rtol + gamma(7, "float64")) * abs(out_short).max(), "mean pooling")
    out_unmasked, _ = run(padded, numpy.ones((7, 1)))
    assert not numpy.allclose(out_unmasked[3:], out_padded[3:])  # the mask is what made the difference


def test_character_model_learns_ihello(tmp_path, capsys):
    record = lstm_chars(iterations=600, output_folder=str(tmp_path))
    assert record["final_prediction"] == "ihello"
    assert record["predictions"][0][1] != "ihello"  # it did not start there
    assert record["final_loss"] < 0.05 < record["losses"][0]
    assert "Prediction str: ihello" in capsys.readouterr().out
    assert (tmp_path / "loss.png").stat().st_size > 0
    assert json.loads((tmp_path / "results.json").read_text())["final_prediction"] == "ihello"


@pytest.mark.training
def test_sentiment_lstm_learns_the_generated_task(tmp_path):
    record = train_lstm(dim_proj=16, max_epochs=12, validFreq=125, dispFreq=1000, saveFreq=250, n_words=100,
                        maxlen=30, dataset="synthetic", output_folder=tmp_path / "run")
    test_err = record["test_err"]
    assert test_err < 0.12 and record["train_err"] < 0.12  # chance is about 0.5
    saved = numpy.load(tmp_path / "run" / "lstm_model.npz")
    assert saved["Wemb"].shape == (100, 16) and saved["lstm_W"].shape == (16, 64)
    assert float(saved["test_err"]) == pytest.approx(test_err)
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert len(results["epoch_seconds"]) == 12 and results["test_err"] == pytest.approx(test_err)

    # reloading the saved model gives its errors back before any training
    again = train_lstm(dim_proj=16, max_epochs=0, n_words=100, maxlen=30, dataset="synthetic",
                       reload_model=str(tmp_path / "run" / "lstm_model.npz"), saveto="")
    assert again["test_err"] == pytest.approx(test_err)


def test_unknown_optimizer_is_one_clear_error():
    with pytest.raises(ValueError, match="unknown optimizer 'adam'.*adadelta"):
        train_lstm(optimizer="adam", dataset="synthetic")


def write_imdb_pickle(path, train, test, compress=False):
    with (gzip.open if compress else open)(path, "wb") as f:
        pickle.dump(train, f, protocol=2)
        pickle.dump(test, f, protocol=2)


@pytest.mark.parametrize("compress", [False, True])
def test_imdb_loader_reads_the_original_format(tmp_path, compress):
    train = ([[5, 3], [2, 99, 7], [1, 4, 4, 4], [8], [3, 3, 3, 3, 3, 3]], [1, 0, 1, 0, 1])
    test = ([[2, 2, 2], [500]], [0, 1])
    path = tmp_path / ("imdb.pkl.gz" if compress else "imdb.pkl")
    write_imdb_pickle(path, train, test, compress)
    (tx, ty), (vx, vy), (sx, sy) = load_data(str(path), n_words=50, valid_portion=0.25, maxlen=5)
    assert len(tx) == 3 and len(vx) == 1  # the 6-word review is dropped (maxlen), 1 of 4 is validation
    assert sorted(map(tuple, tx + vx)) == sorted([(5, 3), (2, 1, 7), (1, 4, 4, 4), (8,)])  # 99 -> 1 (unknown)
    assert [len(s) for s in tx] == sorted(len(s) for s in tx)  # sorted by length
    assert sx == [[1], [2, 2, 2]] and sy == [1, 0]


def test_imdb_loader_names_where_it_looked(tmp_path, monkeypatch):
    """Whatever the user's own data/ folder holds (imdb.pkl put there, as the error tells them to): conftest.py."""
    monkeypatch.setenv("DLTUTORIAL_IMDB", str(tmp_path / "elsewhere"))
    with pytest.raises(DataError, match=r"imdb.pkl not found \(looked in .*elsewhere.*\).*synthetic"):
        load_data("imdb.pkl")
    (tmp_path / "imdb.pkl").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="imdb.pkl: corrupt or truncated pickle .*; delete it and download"):
        load_data("imdb.pkl")


def test_prepare_data_pads_masks_and_drops_long_sequences():
    x, mask, y = prepare_data([[4, 5, 6], [7], [1, 2, 3, 4, 5]], [1, 0, 1], maxlen=4)
    assert x.shape == (3, 2) and x.dtype == numpy.int64
    numpy.testing.assert_array_equal(x, [[4, 7], [5, 0], [6, 0]])
    numpy.testing.assert_array_equal(mask, [[1, 1], [1, 0], [1, 0]])
    numpy.testing.assert_array_equal(y, [1, 0])
    assert prepare_data([[1, 2, 3]], [0], maxlen=3) == (None, None, None)


def test_synthetic_task_labels_follow_the_sentiment_words():
    (xs, ys), _, _ = synthetic_data(n_train=300, n_valid=1, n_test=1, maxlen=20)
    scores = [sum(2 <= w < 12 for w in s) - sum(12 <= w < 22 for w in s) for s in xs]
    assert all((score > 0) == bool(label) for score, label in zip(scores, ys))
    assert 0.3 < numpy.mean(ys) < 0.7 and max(map(len, xs)) < 20


def test_a_diverged_lstm_prints_the_originals_line_and_ends_failed(tmp_path, capsys, monkeypatch):
    """The original printed 'bad cost detected' and returned; ours also ends the run as every diverged run ends
    (a one-line error; the run failed)."""
    def sgd_whose_third_cost_is_nan(lr, tparams, grads, x, mask, y, cost, *, mode=None):
        f_grad_shared, f_update = lstm.sgd(lr, tparams, grads, x, mask, y, cost, mode=mode)
        calls = []

        def f_grad_shared_then_nan(*args):
            calls.append(args)
            return float("nan") if len(calls) == 3 else f_grad_shared(*args)
        f_grad_shared_then_nan.fn = f_grad_shared.fn  # what the run's checkpoint saves the state of
        return f_grad_shared_then_nan, f_update

    monkeypatch.setitem(lstm.OPTIMIZERS, "sgd", sgd_whose_third_cost_is_nan)
    with pytest.raises(TrainingDiverged, match=r"^the training cost became nan at epoch 0, update 3: lower the "
                                               r"learning rate \(--lrate"):
        train_lstm(dim_proj=4, max_epochs=1, n_words=40, maxlen=12, dataset="synthetic",
                   optimizer="sgd", output_folder=tmp_path / "run")
    assert "bad cost detected:  nan" in capsys.readouterr().out
    assert not (tmp_path / "run").exists()  # failed in its first epoch, before it saved anything: no run left
