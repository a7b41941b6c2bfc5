"""The benchmark runner records what produced its figures, so figures from different machines never mix."""

import json

import pytest

from bench import run as bench
from dltutorial.core.tiny_data import SIDE

pytestmark = pytest.mark.bench  # make test-all


def test_bench_records_cpu_blas_and_threads(tiny_idx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    bench.main(["--data", str(tiny_idx), "--modes", "c", "--steps", "20", "--repeats", "1",
                "--only", "SdA pretrain L0", "mlp"])
    (folder,) = (tmp_path / "runs").glob("bench-*")
    record = json.loads((folder / "bench.json").read_text())
    machine = record["machine"]
    assert machine["cpu"] and machine["cores"] >= 1 and machine["OPENBLAS_NUM_THREADS"] == "1"
    assert machine["blas"] and all(b["library"] and b["version"] and b["kernel"] for b in machine["blas"])
    assert machine["openmp_threads"] >= 1  # the batch-1 step's row-wise ops loaded OpenMP
    timed = {(r["step"], r["mode"]) for r in record["rows"]}
    expected = {(step, mode) for step in ("SdA pretrain L0", "mlp") for mode in ("numpy", "c")}
    assert expected <= timed and all(mode == "torch" for _, mode in timed - expected)  # torch when installed
    table = (folder / "bench.md").read_text()
    assert machine["cpu"] in table and "OPENBLAS_NUM_THREADS=1" in table and "OpenMP: " in table
    c_rows = [line for line in table.splitlines() if line.startswith("| mlp | c |")]
    assert len(c_rows) == 1 and float(c_rows[0].split("|")[6]) > 0  # its ratio to the numpy floor
    # the batch-1 step against the copy of its weights: a 64-1000 dA's W, b and b_prime, 4 bytes each in float32
    (sda,) = [r for r in record["rows"] if r["step"] == "SdA pretrain L0" and r["mode"] == "c"]
    n_in = SIDE * SIDE
    assert sda["weight_bytes"] == 4 * (n_in * 1000 + 1000 + n_in) and sda["copy_seconds"] > 0
    assert "weight_bytes" not in next(r for r in record["rows"] if r["step"] == "mlp")
    (bound_row,) = [line for line in table.splitlines() if line.startswith("| SdA pretrain L0 | c | float32 | 0.3 |")]
    step_ms, ratio = (float(cell) for cell in bound_row.split("|")[6:8])
    assert ratio == pytest.approx(step_ms / (1e3 * sda["copy_seconds"]), rel=0.01)  # the table's figures rounded


def test_the_recorded_machine_names_the_c_backends_blas():
    """Asked before anything is compiled, the machine line names the BLAS the first compile will link."""
    from bench.machine import c_blas
    from dltutorial.engine.configure import have_blas

    assert (c_blas() != "none") == have_blas()
