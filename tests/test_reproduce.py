"""``make reproduce`` on tiny data: seed runs as Dask tasks, records kept, a lost worker's run resumed, the report."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy
import pytest

from bench import reproduce
from bench.reproduction_report import records_of
from dltutorial.core.tiny_data import write_idx_folder

pytestmark = pytest.mark.bench  # make test-all
PROJECT = Path(__file__).resolve().parent.parent


def reproduce_args(tmp_path, data, name=""):
    return ["--data", str(data), "--runs", str(tmp_path / f"runs{name}"), "--records", str(tmp_path / f"records{name}"),
            "--report", str(tmp_path / f"REPRODUCTION{name}.md")]


def test_seed_runs_on_a_local_cluster_are_recorded_reported_and_not_run_twice(tmp_path, capsys):
    data = write_idx_folder(tmp_path / "idx", n_train=3600, n_test=600)  # whole minibatches of 600
    args = reproduce_args(tmp_path, data) + ["--quick", "--workers", "2"]
    reproduce.main(args + ["--seeds", "2", "--only", "logistic_sgd", "lstm_chars"])
    records = tmp_path / "records"
    assert sorted(p.name for p in (records / "lstm_chars").iterdir()) == ["seed1234-quick.json", "seed1235-quick.json"]
    assert [p.name for p in (records / "logistic_sgd").iterdir()] == ["seednone-quick.json"]  # nothing random: one
    lstm = records_of(records, "lstm_chars")
    assert [r["results"]["parameters"]["seed"] for r in lstm] == [1234, 1235]
    losses = [r["results"]["final_loss"] for r in lstm]
    assert losses[0] != losses[1]  # other initial weights
    assert "Optimization complete" in (tmp_path / "runs" / "logistic_sgd-seednone-quick" / "log.txt").read_text()
    assert not (tmp_path / "runs" / "logistic_sgd-seednone-quick" / "checkpoints").exists()

    text = (tmp_path / "REPRODUCTION.md").read_text()
    mean, sd = numpy.mean(losses), numpy.std(losses, ddof=1)
    assert (f"| lstm_chars (*quick*) | final loss | - | {losses[0]:.4g} | {mean:.4g} ± {sd:.4g} | "
            f"{min(losses):.4g} to {max(losses):.4g} | 2 | - |") in text
    assert "| mlp | 0 (no run recorded yet) |" in text and "lstm_chars.lstm_chars(" in text
    assert (tmp_path / "reproduction" / "lstm_chars" / "seeds.png").stat().st_size > 1000
    assert "![lstm_chars loss.png](reproduction/lstm_chars/loss.png)" in text

    capsys.readouterr()
    reproduce.main(args + ["--seeds", "3", "--only", "lstm_chars"])  # one more seed: only it runs
    assert "1 run(s) to make: lstm_chars seed 1236" in capsys.readouterr().out
    assert len(records_of(records, "lstm_chars")) == 3

    shutil.rmtree(tmp_path / "runs")  # regenerated on another machine: the pictures kept beside the report stay in it
    reproduce.main(args + ["--report-only"])
    assert "![lstm_chars loss.png](reproduction/lstm_chars/loss.png)" in (tmp_path / "REPRODUCTION.md").read_text()


def wait_for(condition, what, timeout=180):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.processes
def test_a_worker_killed_mid_run_loses_nothing_its_run_resumes_elsewhere(tmp_path):
    """A real scheduler and two worker processes on localhost; one is killed while its run is between epochs."""
    from distributed import Client

    data = write_idx_folder(tmp_path / "idx", n_train=40000, n_test=100)  # 2000 minibatches an epoch
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    command = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file", str(scheduler_file),
               "--port", "0", "--no-dashboard"]
    processes, client = [subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.DEVNULL)], None
    try:
        wait_for(scheduler_file.exists, "the scheduler")
        for _ in range(2):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(scheduler_file),
                 "--nthreads", "1", "--no-nanny", "--no-dashboard"], env=env, cwd=tmp_path, stderr=subprocess.DEVNULL))
        client = Client(scheduler_file=str(scheduler_file), timeout=120)
        client.wait_for_workers(2, timeout=120)
        outcome = {}
        runner = threading.Thread(target=lambda: outcome.setdefault("exit", reproduce.main(
            reproduce_args(tmp_path, data) + ["--scheduler", str(scheduler_file), "--seeds", "2", "--only", "dA"])))
        runner.start()
        folder = tmp_path / "runs" / "dA-seed123"
        wait_for(lambda: list(folder.glob("checkpoints/*.pkl")), "seed 123's first finished epoch")
        pids = client.run(os.getpid)
        [worker] = [address for address, keys in client.processing().items() if "dA-seed123" in keys]
        os.kill(pids[worker], signal.SIGKILL)
        runner.join(timeout=300)
        assert not runner.is_alive() and outcome == {"exit": None}
        # the same run uninterrupted, on the same cluster, for its numbers
        reproduce.main(reproduce_args(tmp_path, data, "-uninterrupted") + ["--scheduler", str(scheduler_file),
                                                                          "--only", "dA"])
    finally:
        if client is not None:
            client.close()
        for process in processes:
            process.kill()
            process.wait()

    resumed, other = records_of(tmp_path / "records", "dA")
    assert resumed["seed"] == 123 and resumed["resumed"] and not other["resumed"]
    assert "=== resuming" in (folder / "log.txt").read_text()
    # the resumed run's numbers are those of the same run uninterrupted (same machine, same code)
    [uninterrupted] = records_of(tmp_path / "records-uninterrupted", "dA")
    assert not uninterrupted["resumed"]
    assert [run["epoch_costs"] for run in uninterrupted["results"]["training"]] == \
        [run["epoch_costs"] for run in resumed["results"]["training"]]
    text = (tmp_path / "REPRODUCTION.md").read_text()
    assert text.count("| dA | final cost, corruption") == 2 and "| dA | 2 | 123, 124 |" in text


def test_a_tutorial_commands_run_is_adopted_with_its_seed(tmp_path):
    """``--adopt`` records a finished ``make train-sda`` run as the seed it ran with."""
    folder = tmp_path / "runs" / "SdA-20261125-024052"
    folder.mkdir(parents=True)
    results = {"tutorial": "SdA", "parameters": {"seed": 89677}, "mode": "c", "floatX": "float32",
               "best_validation_error": 0.0141, "test_error": 0.0137, "pretraining_seconds": 900.0,
               "finetuning": {"seconds": 1500.0}}
    (folder / "results.json").write_text(json.dumps(results))
    reproduce.main(["--adopt", str(folder)] + reproduce_args(tmp_path, "mnist.pkl.gz")[2:])
    [record] = records_of(tmp_path / "records", "SdA")
    assert record["seed"] == 89677 and not record["quick"] and record["seconds"] == 2400.0
    text = (tmp_path / "REPRODUCTION.md").read_text()
    assert "| SdA | test error (%) | 1.3 | 1.37 | 1.37 | 1.37 to 1.37 | 1 | - |" in text
    assert "| SdA | 1 | 89677 | 40.0 min |" in text


def test_a_published_figure_at_the_edge_of_our_range_lies_inside_it():
    """Error rates are counts over the test set: 100 * 0.0165 is 1.6500000000000001, shown (and compared) as 1.65."""
    from bench.reproduction_report import inside, spread

    assert inside(1.65, spread([100 * 0.0165, 1.72])) == "yes"
    assert inside(1.64, spread([100 * 0.0165, 1.72])) == "no" and inside(1.65, spread([1.65])) == "-"
