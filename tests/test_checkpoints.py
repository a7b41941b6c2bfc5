"""Checkpoints at every epoch's end, and resuming from them (issue 9): an interrupted run ends as an uninterrupted one."""

import numpy
import pytest

import dltutorial.training as training
from dltutorial.logistic_sgd import sgd_optimization_mnist
from dltutorial import SdA


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


def run_interrupted(monkeypatch, folder, n_minibatches, run):
    """``run()`` under checkpointing, interrupted after ``n_minibatches``, then rerun to the end."""
    with monkeypatch.context() as patch:
        patch.setattr(training, "_progress", InterruptAfter(n_minibatches))
        with pytest.raises(KeyboardInterrupt), training.checkpointing(folder):
            run()
    with training.checkpointing(folder):
        return run()


def test_early_stopping_resumes_where_it_stopped(tiny_pickle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def run():
        return sgd_optimization_mnist(n_epochs=6, dataset=str(tiny_pickle), batch_size=20, floatX="float64")

    reference = run()
    # 25 minibatches an epoch: stopped in the middle of epoch 3, after two checkpoints
    resumed = run_interrupted(monkeypatch, tmp_path / "run", 60, run)
    assert "resuming after epoch 2" in capsys.readouterr().out
    assert resumed.epoch_costs == pytest.approx(reference.epoch_costs, rel=1e-12)
    assert resumed.validation == reference.validation and resumed.test_score == reference.test_score
    # a finished loop is not trained again
    with training.checkpointing(tmp_path / "run"):
        again = run()
    assert again.epoch_costs == resumed.epoch_costs and "resuming after epoch 6" in capsys.readouterr().out


def test_pretraining_and_finetuning_resume_with_their_random_state(tiny_idx, tmp_path, monkeypatch):
    """SdA: corruption noise (a random generator the step updates) and both loops resume exactly."""
    def run():
        return SdA.test_SdA(finetune_lr=0.1, pretraining_epochs=2, pretrain_lr=0.01, training_epochs=3,
                        dataset=str(tiny_idx), batch_size=20, output_folder=str(tmp_path / "out"), floatX="float64")

    reference = run()
    # 25 minibatches an epoch: interrupted in layer 1's second pretraining epoch
    resumed = run_interrupted(monkeypatch, tmp_path / "run", 25 * 3 + 10, run)
    numpy.testing.assert_allclose(resumed["pretraining_costs"], reference["pretraining_costs"], rtol=1e-12)
    assert resumed["finetuning"]["epoch_costs"] == pytest.approx(reference["finetuning"]["epoch_costs"], rel=1e-12)
    assert resumed["test_error"] == reference["test_error"]


def test_a_checkpoint_of_another_model_is_refused(tiny_pickle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with training.checkpointing(tmp_path / "run"):
        sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_pickle), batch_size=20)
    with pytest.raises(ValueError, match="belongs to another model"), training.checkpointing(tmp_path / "run"):
        SdA.test_SdA(pretraining_epochs=1, training_epochs=1, dataset=str(tiny_pickle), batch_size=20,
                 output_folder=str(tmp_path / "out"))
