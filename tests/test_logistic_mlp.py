import pickle
import re
from pathlib import Path

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

from dltutorial.core.data import load_data
from dltutorial.core.modes import compile_mode
from dltutorial.core.runs import MissingRunFile
from dltutorial.logistic_cg import cg_optimization_mnist
from dltutorial.logistic_sgd import LogisticRegression, predict, sgd_optimization_mnist
from dltutorial import mlp
from dltutorial.mlp import MLP, HiddenLayer

from dltutorial.core.tiny_data import write_idx_folder

from .bounds import assert_within, gamma, sum_error

LABELS = numpy.array([0, 2, 1, 2, 0], dtype="int32")


def test_logistic_nll_gradient(float64):
    rng = numpy.random.RandomState(0)
    x = rng.rand(5, 4)

    def nll(W, b):
        model = LogisticRegression(pt.constant(x), 4, 3, W=W, b=b)
        return model.negative_log_likelihood(pt.constant(LABELS))

    verify_grad(nll, [rng.randn(4, 3), rng.randn(3)], rng=rng, mode=compile_mode())


def test_mlp_cost_gradient(float64):
    rng = numpy.random.RandomState(1)
    x = rng.rand(5, 4)

    def cost(W1, b1, W2, b2):
        hidden = HiddenLayer(rng, pt.constant(x), 4, 6, W=W1, b=b1)
        top = LogisticRegression(hidden.output, 6, 3, W=W2, b=b2)
        return top.negative_log_likelihood(pt.constant(LABELS)) + 1e-3 * (W1 ** 2).sum() + 1e-3 * abs(W2).sum()

    verify_grad(cost, [rng.randn(4, 6), rng.randn(6), rng.randn(6, 3), rng.randn(3)], rng=rng, mode=compile_mode())


def test_errors_rejects_wrong_labels():
    model = LogisticRegression(pt.matrix("x"), 4, 3)
    with pytest.raises(TypeError, match="same shape"):
        model.errors(pt.imatrix("y"))
    with pytest.raises(TypeError, match="integer labels"):
        model.errors(pt.vector("y"))


def test_hidden_layer_initialisation():
    rng = numpy.random.RandomState(1234)
    layer = HiddenLayer(rng, pt.matrix(), 300, 100)
    W = layer.W.get_value()
    bound = numpy.sqrt(6.0 / 400)
    assert W.shape == (300, 100) and abs(W).max() <= bound and abs(W).max() > 0.95 * bound
    sig = HiddenLayer(numpy.random.RandomState(1234), pt.matrix(), 300, 100, activation=pt.sigmoid)
    numpy.testing.assert_array_equal(sig.W.get_value(), 4 * W)  # times a power of two: exact, before or after a cast
    assert not layer.b.get_value().any()


def test_mlp_attributes():
    model = MLP(numpy.random.RandomState(1234), pt.matrix("x"), 64, 20, 10)
    assert [p.get_value().shape for p in model.params] == [(64, 20), (20,), (20, 10), (10,)]
    W1, W2 = model.hiddenLayer.W.get_value(), model.logRegressionLayer.W.get_value()
    floatX = W1.dtype
    for penalty, terms in ((model.L1, numpy.r_[abs(W1).ravel(), abs(W2).ravel()]),
                           (model.L2_sqr, numpy.r_[(W1 ** 2).ravel(), (W2 ** 2).ravel()])):
        expected = terms.astype("float64").sum()
        # 1,480 positive terms (each squared or not, one rounding) added in floatX, in any order, on each side
        error = 2 * (sum_error(terms, floatX) + gamma(1, floatX) * expected)
        assert_within(float(penalty.eval(mode=compile_mode())), expected, error, penalty.name or "penalty")


def test_logistic_sgd_learns_and_saves_best_model(tiny_idx, tmp_path, capsys):
    result = sgd_optimization_mnist(learning_rate=0.5, n_epochs=5, dataset=tiny_idx, batch_size=20)
    assert result["test_error"] < 0.05
    assert result["training"]["epoch_costs"][-1] < result["training"]["epoch_costs"][0]
    out = capsys.readouterr().out
    assert "epoch 1, minibatch 25/25, validation error" in out
    # the original's line, its missing space included
    assert re.search(r"^Optimization complete with best validation score of \d+\.\d{6} %,with test performance "
                     r"\d+\.\d{6} %$", out, re.MULTILINE)
    run_folder = Path(result["folder"])
    assert run_folder.parent == Path("runs") and run_folder.name.startswith("logistic_sgd-")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["idx", "runs"]  # nothing else in the working folder
    with open(run_folder / "best_model.pkl", "rb") as f:
        assert isinstance(pickle.load(f), LogisticRegression)
    predictions = predict(dataset=tiny_idx, n=10)  # finds the newest run's best_model.pkl
    with open(run_folder / "best_model.pkl", "rb") as f:
        model = pickle.load(f)
    test_x = load_data(str(tiny_idx))[2][0].get_value()[:10]
    scores = test_x @ model.W.get_value() + model.b.get_value()  # softmax keeps the order: argmax of the scores
    numpy.testing.assert_array_equal(predictions, scores.argmax(axis=1))


def test_predict_without_a_saved_model_is_a_one_line_error(tiny_idx):
    with pytest.raises(MissingRunFile, match=r"no runs/logistic_sgd-\*/best_model.pkl: run the logistic_sgd "
                                             "tutorial first, or name the file"):
        predict(dataset=tiny_idx)


def test_logistic_cg_learns(tmp_path):
    # the tutorial's CG code uses minibatches of 600: make every set hold at least one
    folder = write_idx_folder(tmp_path / "idx", n_train=3600, n_test=600)
    result = cg_optimization_mnist(n_epochs=10, mnist_pkl_gz=folder, output_folder=tmp_path / "run")
    assert 1 <= len(result["validation"]) <= 10
    # the test error is measured at the best validation score: it must exist and be low
    assert numpy.isfinite(result["best_validation_error"]) and result["test_error"] < 0.1


def test_minibatch_larger_than_data_is_an_error(tiny_idx):
    with pytest.raises(ValueError, match="fewer than one minibatch of 600"):
        cg_optimization_mnist(n_epochs=1, mnist_pkl_gz=tiny_idx)


def test_mlp_learns(tiny_idx, capsys):
    result = mlp.test_mlp(learning_rate=0.1, n_epochs=4, dataset=tiny_idx, batch_size=20, n_hidden=30)
    assert result["test_error"] < 0.1
    assert "Optimization complete. Best validation score of" in capsys.readouterr().out


def test_same_seed_same_result(tiny_idx):
    first = mlp.test_mlp(n_epochs=1, dataset=tiny_idx, n_hidden=10, floatX="float64")
    second = mlp.test_mlp(n_epochs=1, dataset=tiny_idx, n_hidden=10, floatX="float64")
    assert first["training"]["epoch_costs"] == second["training"]["epoch_costs"]
    assert first["folder"] != second["folder"]  # each run has its own folder


def test_floatX_switch(tiny_idx, tmp_path):
    """An entry function's floatX= reaches the data and the saved model, and leaves PyTensor's own setting alone."""
    from dltutorial.logistic_sgd import LogisticRegression, sgd_optimization_mnist

    before = pytensor.config.floatX
    for floatX in ("float32", "float64"):
        with pytensor.config.change_flags(floatX=floatX):
            assert load_data(tiny_idx)[0][0].dtype == floatX  # the loader follows PyTensor's setting
        record = sgd_optimization_mnist(n_epochs=1, dataset=tiny_idx, batch_size=20,
                                        output_folder=tmp_path / floatX, floatX=floatX)
        with open(tmp_path / floatX / "best_model.pkl", "rb") as f:
            model = pickle.load(f)
        assert isinstance(model, LogisticRegression) and record["floatX"] == floatX
        assert model.W.get_value().dtype == model.b.get_value().dtype == floatX
        assert pytensor.config.floatX == before
