"""``make reproduce`` on tiny data: run folders, resuming an unfinished run, and REPRODUCTION.md (issue 9)."""

import json

import pytest

from bench import reproduce

from dltutorial.core.tiny_data import write_idx_folder

pytestmark = pytest.mark.bench  # make test-all


def test_reproduce_runs_resumes_and_reports(tmp_path, capsys):
    data = write_idx_folder(tmp_path / "idx", n_train=3600, n_test=600)  # whole minibatches of 600
    runs, report = tmp_path / "runs", tmp_path / "REPRODUCTION.md"
    args = ["--quick", "--data", str(data), "--runs", str(runs), "--report", str(report)]
    reproduce.main(args + ["--only", "logistic_sgd", "lstm_chars"])
    [logistic] = runs.glob("logistic_sgd-*")
    info = json.loads((logistic / "reproduce.json").read_text())
    assert info["status"] == "done" and info["quick"] and info["ours"].count("%") == 2 and info["seconds"] > 0
    assert "Optimization complete with best validation score" in (logistic / "log.txt").read_text()
    assert (logistic / "best_model.pkl").exists() and not (logistic / "checkpoints").exists()

    text = report.read_text()
    assert "| logistic_sgd (*quick*) | 7.50 % / 7.49 % (74 epochs) | " + info["ours"] in text
    assert "| lstm_chars (*quick*) | predicts 'ihello'" in text and "| mlp | 1.69 % / 1.65 %" in text
    assert "not run yet" in text and (tmp_path / "reproduction" / "lstm_chars" / "loss.png").exists()
    assert "![lstm_chars loss.png](reproduction/lstm_chars/loss.png)" in text

    # an unfinished run of the same kind is resumed in its own folder, not started afresh
    info["status"] = "running"
    (logistic / "reproduce.json").write_text(json.dumps(info))
    reproduce.main(args + ["--only", "logistic_sgd"])
    assert list(runs.glob("logistic_sgd-*")) == [logistic]
    assert "logistic_sgd: resuming in" in capsys.readouterr().out
    assert json.loads((logistic / "reproduce.json").read_text())["status"] == "done"


def test_full_runs_are_preferred_to_quick_ones(tmp_path):
    for name, quick, finished in [("a", True, "2026-01-02 00:00"), ("b", False, "2026-01-01 00:00"),
                                  ("c", True, "2026-01-03 00:00")]:
        folder = tmp_path / f"mlp-{name}"
        folder.mkdir()
        (folder / "reproduce.json").write_text(json.dumps({"status": "done", "quick": quick, "finished": finished}))
    assert reproduce.newest_done("mlp", tmp_path)[0].name == "mlp-b"


def test_a_tutorial_commands_run_is_adopted_and_rows_from_elsewhere_are_kept(tmp_path):
    """``--adopt`` records a finished ``make train-sda`` run; rows of runs not in ``runs/`` stay in the report."""
    runs, report = tmp_path / "runs", tmp_path / "REPRODUCTION.md"
    folder = runs / "SdA-20261125-024052"
    folder.mkdir(parents=True)
    record = {"tutorial": "SdA", "mode": "c", "floatX": "float32", "best_validation_error": 0.0141,
              "test_error": 0.0137, "pretraining_seconds": 900.0, "finetuning": {"seconds": 1500.0}}
    (folder / "results.json").write_text(json.dumps(record))
    report.write_text("| tutorial | published |\n|---|---|\n"
                      "| mlp | 1.69 % / 1.65 % (828 epochs) | 1.69 % / 1.65 % | 97 min | 42.0 min, elsewhere | c |\n"
                      "| SdA | 1.39 % / 1.3 % | 1.44 % / 1.39 % | old | old | c |\n"
                      "- mlp, `curve.png` (run mlp-1):\n  ![mlp curve.png](reproduction/mlp/curve.png)\n")
    reproduce.main(["--adopt", str(folder), "--runs", str(runs), "--report", str(report)])
    info = json.loads((folder / "reproduce.json").read_text())
    assert info["status"] == "done" and not info["quick"] and info["seconds"] == 2400.0
    assert info["ours"] == "1.41 % / 1.37 %"
    text = report.read_text()
    assert "| SdA | 1.39 % / 1.3 % | 1.41 % / 1.37 % | " in text and "40.0 min" in text and "1.44 %" not in text
    assert "| mlp | 1.69 % / 1.65 % (828 epochs) | 1.69 % / 1.65 % | 97 min | 42.0 min, elsewhere | c |" in text
    assert "![mlp curve.png](reproduction/mlp/curve.png)" in text and "| dA | " in text  # dA: not run yet
