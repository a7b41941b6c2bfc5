"""Every tutorial with an epoch loop resumes after its last finished epoch, and ends as an uninterrupted run.

Each case runs a tutorial to the end, then runs it again in a new folder,
interrupted (Ctrl-C) in the middle of a later epoch, then once more in the
same folder: the resumed record must equal the uninterrupted one, figure for
figure (float64; only times, the folder and the resume notes may differ).
"""

import json

import pytest

import dltutorial.core.training as training
from dltutorial import lstm
from dltutorial.autoencoder_tutorials import autoencoders_one_at_a_time, stacked_autoencoder
from dltutorial.cA import test_cA
from dltutorial.convolutional_mlp import evaluate_lenet5
from dltutorial.core.checkpoints import CheckpointError
from dltutorial.core.runs import SettingsMismatch
from dltutorial.dA import test_dA
from dltutorial.DBN import test_DBN
from dltutorial.logistic_sgd import sgd_optimization_mnist
from dltutorial.masking_noise import masking_noise_sae
from dltutorial.mlp_adadelta import mlp_adadelta
from dltutorial.rbm import test_rbm
from dltutorial.SdA import test_SdA

from dltutorial.core.tiny_data import write_idx_folder


class InterruptAfter:
    """A stand-in for the progress bar that raises KeyboardInterrupt (Ctrl-C) at its ``n``-th minibatch."""

    def __init__(self, n):
        self.n = n

    def __call__(self, total, desc):
        return self

    def update(self):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt

    def clear(self):
        pass

    close = clear

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# tutorial -> (its entry function on tiny data (500 training images), minibatches before the Ctrl-C)
CASES = {
    # early stopping; 25 minibatches an epoch: stopped in epoch 3, after two checkpoints
    "logistic_sgd": (lambda **k: sgd_optimization_mnist(n_epochs=6, batch_size=20, **k), 60),
    # two loops (corruption 0 and 30 %): stopped in the second one's second epoch
    "dA": (lambda **k: test_dA(training_epochs=2, batch_size=50, **k), 10 * 2 + 15),
    # layer-wise pretraining with corruption noise, then finetuning: stopped in layer 1's second epoch
    "SdA": (lambda **k: test_SdA(pretraining_epochs=2, pretrain_lr=0.01, training_epochs=3, batch_size=20, **k),
            25 * 3 + 10),
    # CD-1 layers, then finetuning: stopped in the finetuning's second epoch
    "DBN": (lambda **k: test_DBN(pretraining_epochs=1, training_epochs=3, batch_size=50, hidden_layers_sizes=[20, 20],
                                 **k), 10 * 2 + 15),
    # PCD: the persistent chain and the Gibbs chain's random generator resume too
    "rbm": (lambda **k: test_rbm(training_epochs=3, batch_size=50, n_hidden=20, n_chains=3, n_samples=2,
                                 plot_every=5, **k), 25),
    # a step with two outputs (cost, Jacobian norm)
    "cA": (lambda **k: test_cA(training_epochs=3, batch_size=50, **k), 25),
    "lenet5": (lambda **k: evaluate_lenet5(n_epochs=3, nkerns=[2, 3], batch_size=50, **k), 15),  # 16x16 images
    # reshuffled data and per-epoch errors: the shuffle's order and generator are in the checkpoint
    "mlp_adadelta": (lambda **k: mlp_adadelta(n_epochs=3, batch_size=50, n_hiddens=(20,), **k), 25),
    # loops per layer, per masking fraction and per seed, each reshuffling
    "masking_noise_sae": (lambda **k: masking_noise_sae(masking_fractions=(0.5,), seeds=(0,), n_hidden=(20,),
                                                        batch_size=50, pretraining_epochs=2, finetuning_epochs=2,
                                                        **k), 12 * 3 + 5),
    # dropout noise
    "denoising": (lambda **k: stacked_autoencoder(n_epochs=3, batch_size=50, n_hidden=(20, 10), noise="dropout",
                                                  noise_level=0.3, **k), 12 * 2 + 5),
    # four loops and a cache of codes
    "autoencoders_one_at_a_time": (lambda **k: autoencoders_one_at_a_time(n_epochs=2, batch_size=50,
                                                                          n_hidden=(20, 10), **k), 12 * 5 + 5),
}


def comparable(record):
    """The record without what may differ between runs: times, folder, status, resume notes."""
    def keep(key):
        return "seconds" not in key and key not in {"folder", "status"}

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if keep(k)}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return clean(json.loads(json.dumps(record)))


def interrupted_then_resumed(run, folder, n_minibatches, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(training, "_progress", InterruptAfter(n_minibatches))
        with pytest.raises(KeyboardInterrupt):
            run(output_folder=folder)
    assert json.loads((folder / "results.json").read_text())["status"] == "interrupted"
    return run(output_folder=folder)


# make test resumes one tutorial; make test-all every one
@pytest.mark.parametrize("tutorial", [pytest.param(name, marks=() if name == "logistic_sgd" else pytest.mark.resume)
                                      for name in CASES])
def test_an_interrupted_run_resumes_and_ends_as_an_uninterrupted_one(tutorial, tiny_idx, tmp_path, monkeypatch,
                                                                    capsys):
    entry, n_minibatches = CASES[tutorial]
    dataset = write_idx_folder(tmp_path / "idx16", side=16) if tutorial == "lenet5" else tiny_idx

    def run(output_folder):
        return entry(dataset=str(dataset), output_folder=output_folder, floatX="float64")

    reference = run(tmp_path / "uninterrupted")
    resumed = interrupted_then_resumed(run, tmp_path / "resumed", n_minibatches, monkeypatch)
    assert "... resuming after" in capsys.readouterr().out
    assert resumed["status"] == "done"
    assert comparable(resumed) == comparable(reference)


@pytest.mark.backends
def test_a_run_under_jax_resumes_as_it_ran(tiny_idx, tmp_path, monkeypatch):
    """JAX keeps the shared variables on its device: the checkpoint must take them (and the MRG states) from there."""
    pytest.importorskip("jax")
    entry, n_minibatches = CASES["dA"]

    def run(output_folder):
        return entry(dataset=str(tiny_idx), output_folder=output_folder, mode="jax", floatX="float64")

    reference = run(tmp_path / "uninterrupted")
    resumed = interrupted_then_resumed(run, tmp_path / "resumed", n_minibatches, monkeypatch)
    assert resumed["status"] == "done" and resumed["mode"] == "jax"
    assert comparable(resumed) == comparable(reference)


def test_a_finished_run_is_not_trained_again(tiny_idx, tmp_path, capsys):
    def run():
        return sgd_optimization_mnist(n_epochs=2, dataset=str(tiny_idx), batch_size=20,
                                      output_folder=tmp_path / "run", floatX="float64")

    first = run()
    assert (tmp_path / "run" / "checkpoints" / "logistic_sgd-training.pkl").exists()
    capsys.readouterr()
    again = run()
    assert "resuming after epoch 2" in capsys.readouterr().out
    assert comparable(again) == comparable(first)


@pytest.mark.resume
def test_the_lstm_resumes_after_its_last_finished_epoch(tmp_path, monkeypatch, capsys):
    """The LSTM's own loop prints the original's line at Ctrl-C, the run ends interrupted; a rerun in its folder
    goes on."""
    def run(folder):
        return lstm.train_lstm(dim_proj=8, max_epochs=3, n_words=40, maxlen=12, validFreq=10,
                               dataset="synthetic", output_folder=tmp_path / folder, floatX="float64")

    reference = run("uninterrupted")
    calls = {"n": 0}
    prepare_data = lstm.prepare_data

    def interrupted_once(*args, **kwargs):  # Ctrl-C at the 30th minibatch: in the second epoch (25 a epoch)
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return prepare_data(*args, **kwargs)

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(lstm, "prepare_data", interrupted_once)
        run("resumed")
    assert "Training interupted" in capsys.readouterr().out
    assert json.loads((tmp_path / "resumed" / "results.json").read_text())["status"] == "interrupted"
    resumed = run("resumed")
    assert resumed["history_errs"] == reference["history_errs"]
    assert [resumed[k] for k in ("train_err", "valid_err", "test_err", "updates")] == \
        [reference[k] for k in ("train_err", "valid_err", "test_err", "updates")]


def test_a_corrupt_checkpoint_is_named_with_the_way_out(tiny_idx, tmp_path):
    def run():
        sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_idx), batch_size=20, output_folder=tmp_path / "run")

    run()
    checkpoint = tmp_path / "run" / "checkpoints" / "logistic_sgd-training.pkl"
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])  # truncated, as by a full disk
    with pytest.raises(CheckpointError, match=f"^{checkpoint}: corrupt checkpoint .*; delete it to train that loop "
                                              "over, or the run folder to start afresh$"):
        run()
    checkpoint.unlink()
    run()  # the way out works


def test_resuming_with_other_settings_is_refused_before_any_work(tiny_idx, tmp_path):
    sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_idx), batch_size=20, output_folder=tmp_path / "run")
    with pytest.raises(SettingsMismatch, match=r"holds a run made with batch_size 20 \(asked: 25\): resume it with "
                                               "its settings, or give another output folder"):
        sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_idx), batch_size=25, output_folder=tmp_path / "run")
    with pytest.raises(SettingsMismatch, match=r"floatX 'float32' \(asked: 'float64'\)"):
        sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_idx), batch_size=20, output_folder=tmp_path / "run",
                               floatX="float64")


def test_a_checkpoint_of_another_model_is_refused(tiny_idx, tmp_path):
    sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_idx), batch_size=20, output_folder=tmp_path / "run")
    (tmp_path / "run" / "results.json").unlink()
    (tmp_path / "run" / "checkpoints" / "logistic_sgd-training.pkl").rename(
        tmp_path / "run" / "checkpoints" / "mlp-training.pkl")
    from dltutorial.mlp import test_mlp
    with pytest.raises(CheckpointError, match="belongs to another model"):
        test_mlp(n_epochs=1, dataset=str(tiny_idx), batch_size=20, n_hidden=10, output_folder=tmp_path / "run")


def test_training_time_adds_up_over_the_parts_of_a_resumed_loop(tmp_path):
    import numpy
    import pytensor
    import pytensor.tensor as pt

    from dltutorial.core.compile import compile_function

    counter = pytensor.shared(numpy.float64(0.0))
    index = pt.lscalar("index")
    step = compile_function([index], counter + index, updates=[(counter, counter + 1)])
    first = training.train_epochs(step, 50, 1, checkpoint=tmp_path / "loop.pkl", log=lambda line: None)
    resumed = training.train_epochs(step, 50, 2, checkpoint=tmp_path / "loop.pkl", log=lambda line: None)
    assert len(resumed) == 2 and resumed[0] == first[0] and counter.get_value() == 100
    assert first.seconds > 0 and resumed.seconds > first.seconds  # the first epoch's time is kept


def test_a_checkpoint_restores_each_value_by_its_name_not_its_place(tmp_path):
    """Two values of one shape (a dA's ``b`` and ``b_prime``) go back to their own variables, whatever the order in
    which the restoring function updates them; a variable the checkpoint has no value for is named."""
    import numpy
    import pytensor

    from dltutorial.core.checkpoints import Checkpoint
    from dltutorial.core.compile import compile_function

    b = pytensor.shared(numpy.zeros(3), name="b")
    b_prime = pytensor.shared(numpy.zeros(3), name="b_prime")
    forward = compile_function([], [], updates=[(b, b + 1), (b_prime, b_prime + 2)])
    backward = compile_function([], [], updates=[(b_prime, b_prime + 2), (b, b + 1)])
    forward()
    Checkpoint(tmp_path / "c.pkl", [forward]).save({"epoch": 1})
    b.set_value(numpy.zeros(3))
    b_prime.set_value(numpy.zeros(3))
    assert Checkpoint(tmp_path / "c.pkl", [backward]).restore() == {"epoch": 1}
    assert (b.get_value() == 1).all() and (b_prime.get_value() == 2).all()
    c = pytensor.shared(numpy.zeros(3), name="c")
    with pytest.raises(CheckpointError, match="no value for c"):
        Checkpoint(tmp_path / "c.pkl", [compile_function([], [], updates=[(b, b + 1), (c, c + 1)])]).restore()
