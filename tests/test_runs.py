"""The run contract: a run's folder, its record, its resumed parts' times, and the command line's Ctrl-C."""

import json

import pytest

import dltutorial.core.runs as runs
import dltutorial.core.training as training
from dltutorial.__main__ import main
from dltutorial.core.runs import Run, SettingsMismatch

from .test_checkpoints import InterruptAfter


def test_a_resumed_runs_seconds_add_up_over_its_parts(tmp_path, monkeypatch):
    clock = iter([100.0, 107.5, 200.0, 203.0])  # the first part runs 7.5 s, until Ctrl-C; the second 3 s
    monkeypatch.setattr(runs.timeit, "default_timer", lambda: next(clock))
    with pytest.raises(KeyboardInterrupt):
        with Run("demo", {"n_epochs": 2}, output_folder=tmp_path / "run") as run:
            run.checkpoint("training").parent.mkdir()
            run.checkpoint("training").write_bytes(b"epoch 1")  # it wrote something: the folder stays
            raise KeyboardInterrupt
    first = json.loads((tmp_path / "run" / "results.json").read_text())
    assert first["status"] == "interrupted" and first["seconds"] == 7.5
    with Run("demo", {"n_epochs": 2}, output_folder=tmp_path / "run") as run:
        pass
    assert run.record["status"] == "done" and run.record["seconds"] == 10.5
    assert json.loads((tmp_path / "run" / "results.json").read_text())["seconds"] == 10.5


@pytest.mark.parametrize("content, problem", [("{not json", "is unreadable"), ("[1, 2]", "is not a run's record"),
                                              ('{"parameters": 3}', "is not a run's record")])
def test_a_folder_whose_results_json_is_no_record_is_refused_before_any_work(tmp_path, content, problem):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "results.json").write_text(content)
    with pytest.raises(SettingsMismatch, match=f"^{folder}/results.json {problem}.*delete this one to start over$"):
        Run("demo", {}, output_folder=folder)
    assert (folder / "results.json").read_text() == content  # left as it was


def test_a_killed_writes_stale_part_files_are_removed_when_the_run_goes_on(tmp_path):
    folder = tmp_path / "run"
    (folder / "checkpoints").mkdir(parents=True)
    stale = [folder / ".best_model.pkl.x1y2.part", folder / "checkpoints" / ".demo-training.pkl.abc.part"]
    for path in stale:
        path.write_bytes(b"half a file")
    kept = folder / "checkpoints" / "demo-training.pkl"
    kept.write_bytes(b"a whole file")
    with Run("demo", {}, output_folder=folder):
        pass
    assert not any(path.exists() for path in stale) and kept.read_bytes() == b"a whole file"


def test_ctrl_c_on_the_command_line_is_one_line_naming_the_folder_to_resume(tiny_idx, tmp_path, monkeypatch):
    monkeypatch.setattr(training, "_progress", InterruptAfter(30))  # in the second of two epochs
    with pytest.raises(SystemExit) as end:
        main(["logistic_sgd", "--n-epochs", "2", "--batch-size", "20", "--data", str(tiny_idx),
              "--output-folder", str(tmp_path / "run")])
    assert end.value.code == (f"interrupted: run it again with --resume {tmp_path / 'run'} to go on after the last "
                              "finished epoch")
    assert json.loads((tmp_path / "run" / "results.json").read_text())["status"] == "interrupted"


def test_resume_of_a_folder_without_a_run_is_refused_naming_the_runs_there(tiny_idx, tmp_path):
    """A typo in --resume starts nothing: the line names the runs that are there, and nothing is written."""
    earlier = tmp_path / "runs" / "logistic_sgd-20261201-120000"
    earlier.mkdir(parents=True)
    (earlier / "results.json").write_text(json.dumps({"tutorial": "logistic_sgd", "status": "interrupted"}))
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as end:
        main(["logistic_sgd", "--data", str(tiny_idx), "--resume", "runs/logistic_sgd-20261201-12000"])
    assert end.value.code == ("error: no run to resume in runs/logistic_sgd-20261201-12000 (the runs in runs/ are "
                              "runs/logistic_sgd-20261201-120000): give one of them, or --output-folder "
                              "runs/logistic_sgd-20261201-12000 to start a new run there")
    with pytest.raises(SystemExit) as end:
        main(["logistic_sgd", "--data", str(tiny_idx), "--resume", str(earlier), "--output-folder", "elsewhere"])
    assert end.value.code == "error: --resume and --output-folder both name the run's folder: give one of them"
    assert sorted(tmp_path.rglob("*")) == before
