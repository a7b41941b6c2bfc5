"""The package as a user installs it: a wheel built with ``python -m build``, in a clean virtual environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]


def files_under(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if "__pycache__" not in path.parts)


@pytest.mark.processes
def test_a_built_wheel_installs_into_a_clean_venv_and_runs_a_tutorial_from_any_folder(tiny_idx, tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(CHECKOUT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = (tmp_path / "dist").glob("dltutorial-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    uv = Path(sys.prefix) / "bin" / "uv"  # make setup's installer; pip would do the same, slower
    subprocess.run([str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    [package] = (venv / "lib").glob("python3*/site-packages/dltutorial")
    installed = files_under(package.parent)
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DLTUTORIAL_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONWARNINGS="ignore")
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "dltutorial", "logistic_sgd", "--n-epochs", "1",
                           "--batch-size", "20", "--data", str(tiny_idx)],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    [run_folder] = (elsewhere / "runs").iterdir()
    assert json.loads((run_folder / "results.json").read_text())["status"] == "done"
    assert (run_folder / "best_model.pkl").is_file()
    assert files_under(package.parent) == installed  # nothing written inside site-packages
