"""Every tutorial agrees across compile modes, in float32 and float64 (issue 5).

float32: each builder compiles a tutorial's training function(s) on tiny
16x16 data and returns the costs of its first steps; every installed mode
must give the costs of the ``c`` mode.  float64: each tutorial's entry
function runs a short epoch in every mode, and every figure its record
reports must be the ``c`` mode's.  (One float type each: every graph
compiled here costs the suite a Numba or JAX compile, minutes cold.)  Random draws (the dA's corruption, the RBM's Gibbs
samples, the LSTM's dropout) come from MRG31k3p streams, which every mode
draws identically, so every mode is compared with its noise on.
The LSTM sentiment model's scan runs for as many steps as its minibatch has
words, and RNN-SLU's for as many as its sentence: lengths PyTensor's JAX
backend cannot trace, so under JAX each must fail with the one-line error
that says so.
The conjugate-gradient costs are evaluations at the points fmin_cg chooses;
its line searches amplify rounding differences, so they agree to 1e-6.
"""

import contextlib
import functools
import io
import json
import re
import tempfile

import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from dltutorial import lstm
from dltutorial.cA import cA
from dltutorial.convolutional_mlp import LeNet5
from dltutorial.core.compile import compile_function
from dltutorial.core.data import load_data
from dltutorial.core.minibatches import minibatch_givens
from dltutorial.core.modes import ModeError, available_modes
from dltutorial.core.random_init import random_stream
from dltutorial.core.steps import sgd_training_function
from dltutorial.dA import dA
from dltutorial.DBN import DBN
from dltutorial.hmc import HMC_sampler
from dltutorial.imdb import prepare_data, synthetic_data
from dltutorial.logistic_cg import cg_optimization_mnist
from dltutorial.logistic_sgd import LogisticRegression
from dltutorial.lstm_chars import lstm_chars
from dltutorial.mlp import MLP
from dltutorial import rnnrbm, rnnslu
from dltutorial.rbm import RBM
from dltutorial.SdA import SdA

from dltutorial.core.tiny_data import write_idx_folder, write_music_folder

STEPS = 20
BATCH = 10
SIDE = 16


@pytest.fixture(scope="module")
def tiny16(tmp_path_factory):
    return str(write_idx_folder(tmp_path_factory.mktemp("agreement"), side=SIDE))


def supervised(model_cost, dataset, mode, lr=0.1):
    datasets = load_data(dataset)
    index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
    cost, params = model_cost(x, y)
    train = sgd_training_function(index, BATCH, x, y, cost, params, lr, datasets[0], mode=mode)
    return [train(i) for i in range(STEPS)]


def logistic_costs(dataset, mode):
    def model(x, y):
        m = LogisticRegression(x, SIDE * SIDE, 10)
        return m.negative_log_likelihood(y), m.params
    return supervised(model, dataset, mode, lr=0.13)


def mlp_costs(dataset, mode):
    def model(x, y):
        m = MLP(numpy.random.RandomState(1234), x, SIDE * SIDE, 30, 10)
        return m.negative_log_likelihood(y) + 1e-4 * m.L2_sqr, m.params
    return supervised(model, dataset, mode, lr=0.01)


def lenet_costs(dataset, mode):
    def model(x, y):
        m = LeNet5(numpy.random.RandomState(23455), x, BATCH, image_side=SIDE, nkerns=(3, 4), n_hidden=20)
        return m.negative_log_likelihood(y), m.params
    return supervised(model, dataset, mode)


def dA_costs(dataset, mode):
    train_x = load_data(dataset)[0][0]
    index, x = pt.lscalar("index"), pt.matrix("x")
    rng = numpy.random.RandomState(123)
    da = dA(numpy_rng=rng, theano_rng=random_stream(rng.randint(2 ** 30)), input=x, n_visible=SIDE * SIDE,
            n_hidden=20)
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=0.1)
    train = compile_function([index], cost, updates=updates, givens=minibatch_givens(index, BATCH, (x, train_x)),
                             mode=mode)
    return [train(i) for i in range(STEPS)]


def SdA_costs(dataset, mode):
    datasets = load_data(dataset)
    sda = SdA(numpy.random.RandomState(89677), n_ins=SIDE * SIDE, hidden_layers_sizes=[20, 20], n_outs=10)
    costs = []
    for fn in sda.pretraining_functions(datasets[0][0], batch_size=BATCH, mode=mode):
        costs += [fn(i, corruption=0.3, lr=0.1) for i in range(STEPS // 2)]
    train, _, _ = sda.build_finetune_functions(datasets, batch_size=BATCH, learning_rate=0.1, mode=mode)
    return costs + [train(i) for i in range(STEPS // 2)]


def cg_costs(dataset, mode):
    # an entry point compiles in its own floatX (default float32): pass the test's
    return cg_optimization_mnist(n_epochs=3, mnist_pkl_gz=dataset, batch_size=BATCH, output_folder=tempfile.mkdtemp(),
                                 mode=mode, floatX=pytensor.config.floatX)["costs"]


def rbm_costs(dataset, mode):
    """PCD-2 steps' pseudo-likelihood costs."""
    train_x = load_data(dataset)[0][0]
    index, x = pt.lscalar("index"), pt.matrix("x")
    rng = numpy.random.RandomState(123)
    rbm = RBM(input=x, n_visible=SIDE * SIDE, n_hidden=20, numpy_rng=rng,
              theano_rng=random_stream(rng.randint(2 ** 30)))
    givens = minibatch_givens(index, BATCH, (x, train_x))
    chain = pytensor.shared(numpy.zeros((BATCH, 20), dtype=pytensor.config.floatX))
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=chain, k=2, mode=mode)
    train = compile_function([index], cost, updates=updates, givens=givens, mode=mode)
    return [train(i) for i in range(STEPS)]


def DBN_costs(dataset, mode):
    """CD-1 pretraining costs of both layers, then finetuning costs."""
    datasets = load_data(dataset)
    dbn = DBN(numpy.random.RandomState(123), n_ins=SIDE * SIDE, hidden_layers_sizes=[20, 20], n_outs=10)
    costs = []
    for fn in dbn.pretraining_functions(datasets[0][0], batch_size=BATCH, k=1, mode=mode):
        costs += [fn(i, lr=0.1) for i in range(STEPS // 2)]
    train, _, _ = dbn.build_finetune_functions(datasets, batch_size=BATCH, learning_rate=0.1, mode=mode)
    return costs + [train(i) for i in range(STEPS // 2)]


def cA_costs(dataset, mode):
    train_x = load_data(dataset)[0][0]
    index, x = pt.lscalar("index"), pt.matrix("x")
    ca = cA(numpy.random.RandomState(123), input=x, n_visible=SIDE * SIDE, n_hidden=20, n_batchsize=BATCH)
    cost, updates = ca.get_cost_updates(contraction_level=0.1, learning_rate=0.01)
    train = compile_function([index], cost, updates=updates, givens=minibatch_givens(index, BATCH, (x, train_x)),
                             mode=mode)
    return [train(i) for i in range(STEPS)]


def lstm_costs(dataset, mode):
    """The original's adadelta steps (two compiled functions) of the sentiment LSTM on generated reviews, dropout on."""
    (xs, ys), _, _ = synthetic_data(n_words=40, n_train=BATCH * STEPS, maxlen=12, rng=numpy.random.RandomState(1))
    options = {"n_words": 40, "dim_proj": 8, "ydim": 2, "encoder": "lstm", "use_dropout": True}
    tparams = lstm.init_tparams(lstm.init_params(options, rng=numpy.random.RandomState(123)))
    use_noise, x, mask, y, _, _, cost = lstm.build_model(tparams, options, mode=mode)
    use_noise.set_value(numpy.asarray(1.0, dtype=pytensor.config.floatX))
    f_grad_shared, f_update = lstm.adadelta(pt.scalar("lr"), tparams, pt.grad(cost, list(tparams.values())),
                                            x, mask, y, cost, mode=mode)
    costs = []
    for i in range(0, len(xs), BATCH):
        costs.append(f_grad_shared(*prepare_data(xs[i:i + BATCH], ys[i:i + BATCH])))
        f_update(0.0)
    return costs


def hmc_costs(dataset, mode):
    """Three particles' positions after each of 5 HMC proposals on a quadratic energy (draws, dynamics, accepts)."""
    positions = pytensor.shared(numpy.random.RandomState(1).randn(3, 4).astype(pytensor.config.floatX))
    sampler = HMC_sampler.new_from_shared_positions(positions, lambda x: 0.5 * (x ** 2).sum(axis=1), n_steps=5,
                                                    mode=mode)
    return numpy.concatenate([sampler.draw().ravel() for _ in range(5)])


def rnnslu_costs(dataset, mode):
    """Sentence-by-sentence SGD steps of the Elman network (with the embeddings' renormalisation) on generated data."""
    (lex, _, labels), _, _, dicts = rnnslu.synthetic_atis(STEPS, 1, 1, rng=numpy.random.RandomState(1))
    rnn = rnnslu.RNNSLU(nh=10, nc=len(dicts["labels2idx"]), ne=len(dicts["words2idx"]), de=4, cs=3,
                        rng=numpy.random.RandomState(2), mode=mode)
    costs = []
    for x, y in zip(lex, labels):
        costs.append(rnn.sentence_train(numpy.asarray(rnnslu.contextwin(x, 3), dtype="int32"), y, 0.1))
        rnn.normalize()
    return costs


def rnnrbm_costs(dataset, mode):
    """The RNN-RBM's CD-15 steps (training scan, Gibbs chain, gradient through both) on 10-frame pieces of chords."""
    chords = numpy.zeros((10, 12), dtype=pytensor.config.floatX)
    for t in range(10):
        chords[t, [t % 12, (t + 4) % 12, (t + 7) % 12]] = 1
    pieces = [numpy.roll(chords, shift, axis=1) for shift in range(STEPS)]
    v, v_sample, cost, monitor, params, updates, _, _ = rnnrbm.build_rnnrbm(
        12, 8, 5, numpy_rng=numpy.random.RandomState(1), mode=mode)
    gradient = pt.grad(cost, params, consider_constant=[v_sample])
    updates.update((p, p - 0.1 * g) for p, g in zip(params, gradient))
    train = compile_function([v], monitor, updates=updates, mode=mode)
    return [train(piece) for piece in pieces]


def lstm_chars_costs(dataset, mode):
    return lstm_chars(iterations=STEPS, print_every=STEPS, output_folder=tempfile.mkdtemp(), mode=mode,
                      floatX=pytensor.config.floatX)["losses"]


TUTORIALS = {"logistic_sgd": logistic_costs, "logistic_cg": cg_costs, "mlp": mlp_costs,
             "lenet5": lenet_costs, "dA": dA_costs, "SdA": SdA_costs, "rbm": rbm_costs, "DBN": DBN_costs,
             "cA": cA_costs, "hmc": hmc_costs, "lstm": lstm_costs, "lstm_chars": lstm_chars_costs,
             "rnnslu": rnnslu_costs, "rnnrbm": rnnrbm_costs}
JAX_CANNOT_TRACE = {"lstm", "rnnslu", "rnnrbm"}  # scans as long as the sentence or piece: shapes JAX cannot trace


def costs(tutorial, mode, floatX, dataset):
    with pytensor.config.change_flags(floatX=floatX):
        return numpy.asarray(TUTORIALS[tutorial](dataset, mode), dtype="float64")


@pytest.fixture(scope="module")
def c_costs(tiny16):
    """``c_costs(tutorial)``: the tutorial's first float32 costs in the c mode, computed once per process."""
    return functools.cache(lambda tutorial: costs(tutorial, "c", "float32", tiny16))


@pytest.mark.parametrize("mode", [m for m in available_modes() if m != "c"])
@pytest.mark.parametrize("tutorial", list(TUTORIALS))
def test_first_steps_agree_with_c(tutorial, mode, tiny16, c_costs):
    """float32, step by step; float64 is the entry points' test below, every figure of a whole run."""
    floatX = "float32"
    if mode == "jax" and tutorial in JAX_CANNOT_TRACE:
        with pytest.raises(ModeError, match="^the jax backend cannot trace this graph .*; "
                                            "use --mode c or --mode numba$"):
            costs(tutorial, mode, floatX, tiny16)
        return
    ours = costs(tutorial, mode, floatX, tiny16)
    reference = c_costs(tutorial)
    assert len(ours) >= 3 and numpy.isfinite(ours).all()
    assert not numpy.allclose(ours, ours[0])  # the costs move: training happened
    numpy.testing.assert_allclose(ours, reference, rtol=tolerance(tutorial, floatX))


def tolerance(tutorial, floatX):
    """1e-8 in float64 (1e-4 in float32); conjugate gradients' line searches amplify rounding, 1e-6.

    The character model's Adam steps (0.1 in every coordinate whatever the
    gradient's size) amplify float32 rounding to 1.3e-4 by step 16: 1e-3 there.
    """
    if floatX == "float32":
        return 1e-3 if tutorial == "lstm_chars" else 1e-4
    return 1e-6 if tutorial == "logistic_cg" else 1e-8


def figures(record, path=""):
    """The numbers a run reports, by their path in its record: not its parameters, nor its timings."""
    if isinstance(record, dict):
        return {name: value for key, item in record.items() if key != "parameters" and "seconds" not in key
                for name, value in figures(item, f"{path}/{key}").items()}
    if isinstance(record, list):
        return {name: value for i, item in enumerate(record) for name, value in figures(item, f"{path}[{i}]").items()}
    is_number = isinstance(record, (int, float)) and not isinstance(record, bool)
    return {path: record} if is_number else {}


# c, float64: logistic 0.0, mlp 0.225, DBN 0.74, SdA 0.23, lenet5 0.52; a model that ignores its input, or has
# not learnt yet, errs on 90 % of the ten balanced classes
ONE_EPOCH_TEST_ERROR_BELOW = {"logistic_sgd": 0.05, "logistic_cg": 0.05, "mlp": 0.4, "DBN": 0.85, "SdA": 0.5,
                              "lenet5": 0.75}


def cached_runs(dataset, folder, floatX):
    """``run(tutorial)``: the tutorial's entry-point record in the c mode and what it printed; each run once."""
    @functools.cache
    def run(tutorial):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            record = entry_points(dataset, folder)[tutorial](mode="c", floatX=floatX)
        return record, printed.getvalue()
    return run


@pytest.fixture(scope="module")
def c_runs(tiny16, tmp_path_factory):
    """The c mode's runs in float64, which the other modes' runs are compared with."""
    return cached_runs(tiny16, tmp_path_factory.mktemp("c-runs"), "float64")


@pytest.fixture(scope="module")
def default_runs(tiny16, tmp_path_factory):
    """The runs a user gets by default (c, float32): what the printed lines are checked on."""
    return cached_runs(tiny16, tmp_path_factory.mktemp("default-runs"), "float32")


def entry_points(dataset, folder):
    """Each tutorial's entry function, for one short epoch on tiny data."""
    from dltutorial.cA import test_cA
    from dltutorial.convolutional_mlp import evaluate_lenet5
    from dltutorial.dA import test_dA
    from dltutorial.DBN import test_DBN
    from dltutorial.hmc import test_hmc
    from dltutorial.logistic_sgd import sgd_optimization_mnist
    from dltutorial.lstm import train_lstm
    from dltutorial.mlp import test_mlp
    from dltutorial.rbm import test_rbm
    from dltutorial.rnnrbm import test_rnnrbm
    from dltutorial.SdA import test_SdA

    return {
        "logistic_sgd": lambda **k: sgd_optimization_mnist(n_epochs=1, dataset=dataset, batch_size=20,
                                                           output_folder=str(folder / "logistic_sgd"), **k),
        "logistic_cg": lambda **k: cg_optimization_mnist(n_epochs=1, mnist_pkl_gz=dataset, batch_size=50,
                                                         output_folder=str(folder / "logistic_cg"), **k),
        "mlp": lambda **k: test_mlp(n_epochs=1, dataset=dataset, batch_size=20, n_hidden=20,
                                    output_folder=str(folder / "mlp"), **k),
        "lenet5": lambda **k: evaluate_lenet5(n_epochs=1, dataset=dataset, nkerns=[3, 4], batch_size=10,
                                              output_folder=str(folder / "lenet5"), **k),
        "dA": lambda **k: test_dA(training_epochs=1, dataset=dataset, output_folder=str(folder / "dA"), **k),
        "SdA": lambda **k: test_SdA(pretraining_epochs=1, training_epochs=1, dataset=dataset, batch_size=10,
                                    output_folder=str(folder / "SdA"), **k),
        "rbm": lambda **k: test_rbm(training_epochs=1, dataset=dataset, n_hidden=20, n_chains=3, n_samples=2,
                                    plot_every=10, output_folder=str(folder / "rbm"), **k),
        "DBN": lambda **k: test_DBN(pretraining_epochs=1, training_epochs=1, dataset=dataset, batch_size=10,
                                    hidden_layers_sizes=[20, 20], output_folder=str(folder / "DBN"), **k),
        "cA": lambda **k: test_cA(training_epochs=1, dataset=dataset, batch_size=50, output_folder=str(folder / "cA"),
                                  **k),
        "hmc": lambda **k: test_hmc(burnin=5, n_samples=10, dim=3, output_folder=str(folder / "hmc"), **k),
        "lstm": lambda **k: train_lstm(dim_proj=8, max_epochs=1, n_words=40, maxlen=12, dataset="synthetic",
                                       output_folder=str(folder / "lstm"), **k),
        "lstm_chars": lambda **k: lstm_chars(iterations=300, output_folder=str(folder / "lstm_chars"), **k),
        "rnnslu": lambda **k: rnnslu.main({"data": "synthetic", "nepochs": 2, "nhidden": 10, "emb_dimension": 4,
                                           "win": 3}, output_folder=str(folder / "rnnslu"), **k),
        "rnnrbm": lambda **k: test_rnnrbm(batch_size=10, num_epochs=2, dataset=write_music_folder(folder / "music"),
                                          n_hidden=12, n_hidden_recurrent=6, lr=0.05, n_samples=1,
                                          output_folder=str(folder / "rnnrbm"), **k),
    }


@pytest.mark.parametrize("mode", [m for m in available_modes() if m != "c"])
@pytest.mark.parametrize("tutorial", list(TUTORIALS))
def test_entry_points_run_unchanged_in_every_mode(tutorial, mode, tiny16, c_runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = entry_points(tiny16, tmp_path / "runs")[tutorial]
    if mode == "jax" and tutorial in JAX_CANNOT_TRACE:
        with pytest.raises(ModeError, match="jax backend cannot trace"):
            run(mode=mode, floatX="float64")
        return
    result = run(mode=mode, floatX="float64")
    assert result["status"] == "done" and result["mode"] == mode and result["floatX"] == "float64"
    ours, wanted = figures(result), figures(c_runs(tutorial)[0])
    assert sorted(ours) == sorted(wanted) and ours
    for path, value in wanted.items():  # every figure the run reports, as the c mode reports it
        assert ours[path] == pytest.approx(value, rel=tolerance(tutorial, "float64"), abs=1e-12), path
    assert json.loads((tmp_path / "runs" / tutorial / "results.json").read_text()) == json.loads(json.dumps(result))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["runs"]  # nothing else in the working folder
    if tutorial == "dA":  # reconstruction costs of the 0 % and 30 % corruption runs
        final = [r["epoch_costs"][-1] for r in result["training"]]
        assert len(final) == 2 and all(numpy.isfinite(f) and f > 0 for f in final)
    elif tutorial == "rbm":  # pseudo-log-likelihood: negative
        assert len(result["epoch_costs"]) == 1 and -1e4 < result["epoch_costs"][0] < 0
    elif tutorial == "lstm":  # (train, valid, test) errors of one epoch on the generated task, as c's
        assert {"/train_err", "/valid_err", "/test_err"} <= set(ours)
    elif tutorial == "lstm_chars":
        assert result["final_loss"] < result["losses"][0] and len(result["final_prediction"]) == 6
    elif tutorial == "hmc":
        assert 0 < result["final_acceptance_rate"] <= 1 and len(result["empirical_mean"]) == 3
    elif tutorial == "rnnslu":  # CoNLL F1 of each epoch on the generated task, as c's
        assert len(result["valid_f1"]) == 2 and 0 <= result["best_valid_f1"] <= 100
    elif tutorial == "rnnrbm":  # the pseudo log-likelihood of two epochs and of the held-out pieces, as c's
        assert len(result["train_monitor"]) == 2 and result["test_monitor"] < 0
        assert 0 <= result["test_frame_accuracy"] <= 100
    elif tutorial == "cA":
        assert len(result["reconstruction_costs"]) == 1 and 0 < result["reconstruction_costs"][0] < 1e4
    else:  # one epoch: the linear models have learnt the generated classes, the deep ones are on their way
        assert 0 <= result["test_error"] < ONE_EPOCH_TEST_ERROR_BELOW[tutorial]


# The lines each tutorial's entry function prints, as the original's format strings (code/<tutorial>.py of
# lisa-lab/DeepLearningTutorials; %r: a value printed after a comma by Python 2's print, as str() prints it).
# "results in <folder>" is ours, after the original's lines.
ORIGINAL_LINES = {
    "logistic_sgd": ["... loading data", "... building the model", "... training the model",
                     "epoch %i, minibatch %i/%i, validation error %f %%",
                     "     epoch %i, minibatch %i/%i, test error of best model %f %%",
                     "Optimization complete with best validation score of %f %%,with test performance %f %%",
                     "The code run for %d epochs, with %f epochs/sec"],
    "logistic_cg": ["... loading data", "... building the model", "Optimizing using scipy.optimize.fmin_cg...",
                    "validation error %f %%",
                    "Optimization complete with best validation score of %f %%, with test performance %f %%"],
    "mlp": ["... loading data", "... building the model", "... training",
            "epoch %i, minibatch %i/%i, validation error %f %%",
            "     epoch %i, minibatch %i/%i, test error of best model %f %%",
            "Optimization complete. Best validation score of %f %% obtained at iteration %i, "
            "with test performance %f %%"],
    "lenet5": ["... loading data", "... building the model", "... training", "training @ iter =  %r",
               "epoch %i, minibatch %i/%i, validation error %f %%",
               "     epoch %i, minibatch %i/%i, test error of best model %f %%", "Optimization complete.",
               "Best validation score of %f %% obtained at iteration %i, with test performance %f %%"],
    "dA": ["... loading data", "Training epoch %d, cost  %r"],
    "SdA": ["... loading data", "... building the model", "... getting the pretraining functions",
            "... pre-training the model", "Pre-training layer %i, epoch %d, cost %f",
            "... getting the finetuning functions", "... finetunning the model",
            "epoch %i, minibatch %i/%i, validation error %f %%",
            "     epoch %i, minibatch %i/%i, test error of best model %f %%",
            "Optimization complete with best validation score of %f %%, on iteration %i, with test performance %f %%"],
    "rbm": ["... loading data", "Training epoch %d, cost is  %r", "Training took %f minutes",
            " ... plotting sample %d"],
    "DBN": ["... loading data", "... building the model", "... getting the pretraining functions",
            "... pre-training the model", "Pre-training layer %i, epoch %d, cost  %r",
            "... getting the finetuning functions", "... finetuning the model",
            "epoch %i, minibatch %i/%i, validation error %f %%",
            "     epoch %i, minibatch %i/%i, test error of best model %f %%",
            "Optimization complete with best validation score of %f %%, obtained at iteration %i, "
            "with test performance %f %%"],
    "cA": ["... loading data", "Training epoch %d, reconstruction cost  %r  jacobian norm  %r"],
    "rnnrbm": ["Epoch %i/%i", "%r"],
}
OUR_LINES = {"*": ["results in %s"], "rnnrbm": ["held-out pieces: %i, monitor %f, frame accuracy %.2f %%",
                                                "The samples are in %s"]}


def line_pattern(fmt):
    """A regular expression for the lines that ``fmt % values`` prints."""
    fields = {"%i": r"-?\d+", "%d": r"-?\d+", "%f": r"-?\d+\.\d{6}", "%.2f": r"-?\d+\.\d{2}", "%%": "%",
              "%r": r"-?\d+(\.\d+)?(e[-+]\d+)?", "%s": r".+"}
    parts = re.split(r"(%\.2f|%[idfrs%])", fmt)
    return re.compile("".join(fields.get(part, re.escape(part)) for part in parts) + "$")


@pytest.mark.parametrize("tutorial", list(ORIGINAL_LINES))
def test_the_printed_lines_are_the_originals(tutorial, default_runs):
    """Every line the entry function prints has an original's format (or is ours, after them); each original line shows."""
    _, printed = default_runs(tutorial)
    originals = [line_pattern(fmt) for fmt in ORIGINAL_LINES[tutorial]]
    ours = [line_pattern(fmt) for fmt in OUR_LINES["*"] + OUR_LINES.get(tutorial, [])]
    lines = printed.splitlines()
    unknown = [line for line in lines if not any(p.match(line) for p in originals + ours)]
    assert not unknown, f"lines the original does not print: {unknown}"
    missing = [fmt for fmt, p in zip(ORIGINAL_LINES[tutorial], originals) if not any(p.match(line) for line in lines)]
    assert not missing, f"the original's lines not printed: {missing}"
    last_original = max(i for i, line in enumerate(lines) if any(p.match(line) for p in originals))
    assert all(any(p.match(line) for p in ours) for line in lines[last_original + 1:])  # ours come after
