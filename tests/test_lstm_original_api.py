"""lstm.py keeps the original module's API: its functions, names, return values, update rules and printed lines."""

import json

import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from dltutorial import lstm
from dltutorial.core.compile import compile_function
from dltutorial.imdb import prepare_data

from .bounds import assert_within, gamma, trajectory_rtol

OPTIONS = {"n_words": 30, "dim_proj": 4, "ydim": 2, "encoder": "lstm", "use_dropout": True}
REVIEWS = ([[3, 5, 7, 2], [8, 8], [1, 4, 6], [9, 2, 2, 2, 5]], [1, 0, 1, 0])


def sigmoid(a):
    return 1.0 / (1.0 + numpy.exp(-a))


def numpy_pred_prob(params, x, mask):
    """The sentiment model's forward pass in numpy: embedding, LSTM, mean pooling, dropout off (x 0.5), softmax."""
    d = OPTIONS["dim_proj"]
    state_below = params["Wemb"][x] @ params["lstm_W"] + params["lstm_b"]
    h = c = numpy.zeros((x.shape[1], d))
    hs = []
    for t in range(x.shape[0]):
        pre = h @ params["lstm_U"] + state_below[t]
        i, f, o = sigmoid(pre[:, :d]), sigmoid(pre[:, d:2 * d]), sigmoid(pre[:, 2 * d:3 * d])
        m = mask[t][:, None]
        c = m * (f * c + i * numpy.tanh(pre[:, 3 * d:])) + (1 - m) * c
        h = m * (o * numpy.tanh(c)) + (1 - m) * h
        hs.append(h)
    proj = (numpy.array(hs) * mask[:, :, None]).sum(axis=0) / mask.sum(axis=0)[:, None] * 0.5
    scores = numpy.exp(proj @ params["U"] + params["b"])
    return scores / scores.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def built_model():
    """The model built and its two prediction functions compiled once for this file (a scan takes seconds)."""
    with pytensor.config.change_flags(floatX="float64"):
        params = lstm.init_params(OPTIONS, rng=numpy.random.RandomState(0))
        tparams = lstm.init_tparams(params)
        return params, tparams, lstm.build_model(tparams, OPTIONS, mode="c")


@pytest.fixture
def model(built_model, float64):
    """The shared model as built: its initial parameters back, dropout off."""
    params, tparams, built = built_model
    lstm.zipp(params, tparams)
    built[0].set_value(0.0)
    return built_model


@pytest.fixture(scope="module")
def gradients(built_model):
    """The cost's gradients and the function computing them, compiled once for the three rules."""
    _, tparams, (_, x, mask, y, _, _, cost) = built_model
    with pytensor.config.change_flags(floatX="float64"):
        grads = pt.grad(cost, wrt=list(tparams.values()))
        return grads, compile_function([x, mask, y], grads, mode="c")


def test_init_params_names_shapes_and_orthogonal_blocks(float64):
    params = lstm.init_params(OPTIONS, rng=numpy.random.RandomState(0))
    assert {k: v.shape for k, v in params.items()} == {
        "Wemb": (30, 4), "lstm_W": (4, 16), "lstm_U": (4, 16), "lstm_b": (16,), "U": (4, 2), "b": (2,)}
    for k in range(4):  # each gate's block of W and U is orthogonal, as ortho_weight(ndim) makes it
        for name in ("lstm_W", "lstm_U"):
            block = params[name][:, 4 * k:4 * (k + 1)]
            # LAPACK's SVD returns factors orthogonal to a low-degree polynomial in n times u (n = 4 here), and the
            # product adds 4 terms
            assert_within(block.T @ block, numpy.eye(4), 4 ** 2 * gamma(4, "float64"), "orthogonality")
    assert lstm.ortho_weight(3, rng=numpy.random.RandomState(1)).shape == (3, 3)


def test_build_model_returns_the_originals_seven_and_its_forward_pass(model):
    params, tparams, built = model
    use_noise, x, mask, y, f_pred_prob, f_pred, cost = built
    bx, bmask, by = prepare_data(*REVIEWS)
    probs = f_pred_prob(bx, bmask)
    # ours and numpy's forward pass: as many LSTM steps as the longest review, then the mean pooling and softmax
    rtol = trajectory_rtol(len(bx) + 2, (len(REVIEWS[0]), 4, 4, 16, 2), "float64")
    assert_within(probs, numpy_pred_prob(params, bx, bmask), rtol * probs, "probabilities")
    numpy.testing.assert_array_equal(f_pred(bx, bmask), probs.argmax(axis=1))
    f_cost = compile_function([x, mask, y], cost, mode="c")
    expected_cost = -numpy.log(probs[numpy.arange(4), by] + 1e-8).mean()
    assert_within(f_cost(bx, bmask, by), expected_cost, 2 * (rtol + gamma(5 + 4, "float64")) * expected_cost, "cost")
    use_noise.set_value(1.0)  # dropout on: a different, random cost
    assert f_cost(bx, bmask, by) != pytest.approx(-numpy.log(probs[numpy.arange(4), by] + 1e-8).mean(), rel=1e-9)  # 0.01-scaled U: probabilities near 0.5


def test_pred_error_pred_probs_and_minibatches(model):
    _, _, (use_noise, x, mask, y, f_pred_prob, f_pred, cost) = model
    batches = lstm.get_minibatches_idx(4, 3)
    assert [i for i, _ in batches] == [0, 1] and [list(b) for _, b in batches] == [[0, 1, 2], [3]]
    shuffled = lstm.get_minibatches_idx(4, 3, shuffle=True, rng=numpy.random.RandomState(2))
    assert sorted(numpy.concatenate([b for _, b in shuffled])) == [0, 1, 2, 3]
    probs = lstm.pred_probs(f_pred_prob, prepare_data, REVIEWS, batches)
    bx, bmask, _ = prepare_data(*REVIEWS)
    whole = f_pred_prob(bx, bmask)  # the same steps on a batch padded to another length
    assert_within(probs, whole, 2 * trajectory_rtol(len(bx) + 2, (4, 4, 4, 16, 2), "float64") * whole, "probabilities")
    wrong = (probs.argmax(axis=1) != numpy.array(REVIEWS[1])).mean()
    assert lstm.pred_error(f_pred, prepare_data, REVIEWS, batches) == pytest.approx(wrong)


def test_unzip_zipp_and_load_params_round_trip(model, tmp_path):
    params, tparams, _ = model
    saved = lstm.unzip(tparams)
    lstm.save_params(tmp_path / "m.npz", saved)
    tparams["U"].set_value(numpy.zeros((4, 2)))
    lstm.zipp(lstm.load_params(tmp_path / "m.npz", dict(params)), tparams)
    numpy.testing.assert_array_equal(tparams["U"].get_value(), params["U"])
    with pytest.raises(ValueError, match="no saved values for extra"):
        lstm.load_params(tmp_path / "m.npz", {**params, "extra": 0})


def original_step(rule, g, state, p):
    """One update of the original's rule on one parameter, in numpy; ``state`` holds its running averages."""
    if rule == "sgd":
        return p - 0.1 * g
    if rule == "adadelta":
        state["rg2"] = 0.95 * state.get("rg2", 0) + 0.05 * g ** 2
        ud = -numpy.sqrt(state.get("ru2", 0) + 1e-6) / numpy.sqrt(state["rg2"] + 1e-6) * g
        state["ru2"] = 0.95 * state.get("ru2", 0) + 0.05 * ud ** 2
        return p + ud
    state["rg"] = 0.95 * state.get("rg", 0) + 0.05 * g  # rmsprop
    state["rg2"] = 0.95 * state.get("rg2", 0) + 0.05 * g ** 2
    state["ud"] = 0.9 * state.get("ud", 0) - 1e-4 * g / numpy.sqrt(state["rg2"] - state["rg"] ** 2 + 1e-4)
    return p + state["ud"]


@pytest.mark.parametrize("rule", ["sgd", "adadelta", "rmsprop"])
def test_the_originals_optimisers_compile_two_functions_with_its_update_rules(model, gradients, rule):
    _, tparams, (use_noise, x, mask, y, f_pred_prob, f_pred, cost) = model
    grads, f_grad = gradients
    lr = pt.scalar(name="lr")
    f_grad_shared, f_update = getattr(lstm, rule)(lr, tparams, grads, x, mask, y, cost, mode="c")
    bx, bmask, by = prepare_data(*REVIEWS)
    states = {k: {} for k in tparams}
    for _ in range(3):
        before = lstm.unzip(tparams)
        expected = {k: original_step(rule, g, states[k], before[k])
                    for k, g in zip(tparams, f_grad(bx, bmask, by))}
        f_grad_shared(bx, bmask, by)
        numpy.testing.assert_array_equal(lstm.unzip(tparams)["U"], before["U"])  # the first function only stores
        f_update(0.1)
        # the gradients of two compiled functions and the rule's dozen roundings, carried over the steps so far;
        # relative to each parameter's scale
        rtol = trajectory_rtol(3 * (len(bx) + 2), (4, 4, 4, 16, 2), "float64")
        for k in tparams:
            got = tparams[k].get_value()
            assert_within(got, expected[k], rtol * (abs(expected[k]) + abs(expected[k]).max()), k)


@pytest.mark.parametrize("optimizer", [pytest.param("rmsprop", marks=pytest.mark.training), lstm.sgd])  # a name: the CLI test
def test_train_lstm_takes_the_originals_optimisers_and_prints_its_lines(optimizer, tmp_path, capsys):
    record = lstm.train_lstm(dim_proj=8, max_epochs=1, n_words=40, maxlen=12, dataset="synthetic", validFreq=20,
                             saveFreq=20, dispFreq=20, lrate=0.1, optimizer=optimizer, output_folder=tmp_path / "run")
    out = capsys.readouterr().out
    assert record["parameters"]["optimizer"] in ("rmsprop", "sgd")
    assert "Saving... Done\n" in out and "\n('Train ', " in out and "Seen " in out
    assert any(line.startswith("Train  0") for line in out.splitlines()) and "The code run for 1 epochs" in out
    assert (tmp_path / "run" / "lstm_model.npz.pkl").exists() and 0 <= record["test_err"] < 0.5


def test_the_command_line_names_the_optimiser(tmp_path):
    from dltutorial.__main__ import main as command_line

    command_line(["lstm", "--data", "synthetic", "--max-epochs", "1", "--dim-proj", "8", "--n-words", "40",
                  "--maxlen", "12", "--optimizer", "sgd", "--output-folder", str(tmp_path / "cli")])
    record = json.loads((tmp_path / "cli" / "results.json").read_text())  # sgd, not the default adadelta
    assert record["parameters"]["optimizer"] == "sgd" and record["status"] == "done"
