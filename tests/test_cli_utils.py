import json
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

from dltutorial.__main__ import TUTORIALS, build_parser, entry_function
from dltutorial.__main__ import main as command_line  # noqa: I001 (the entry point under its role's name)
from dltutorial.utils import tile_raster_images


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "dltutorial", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_runs_logistic_sgd_for_one_epoch(tiny_idx, tmp_path):
    done = run_cli("logistic_sgd", "--n-epochs", "1", "--batch-size", "20", "--data", str(tiny_idx), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "epoch 1, minibatch 25/25, validation error" in done.stdout
    assert "The code run for 1 epochs" in done.stdout
    [run_folder] = (tmp_path / "runs").iterdir()  # all output in one run folder, nothing else in the working folder
    assert sorted(path.name for path in tmp_path.iterdir()) == ["idx", "runs"]
    assert (run_folder / "best_model.pkl").exists()
    assert json.loads((run_folder / "results.json").read_text())["status"] == "done"


def test_cli_predict_uses_the_newest_saved_model(tiny_idx, tmp_path, capsys):
    """In this process (the command line's own process is the test above): train, then predict from the newest model."""
    command_line(["logistic_sgd", "--n-epochs", "1", "--batch-size", "20", "--data", str(tiny_idx)])
    [trained] = (tmp_path / "runs").iterdir()
    other = tmp_path / "runs" / "logistic_sgd-19990101-000000"  # a second run whose model is unreadable
    other.mkdir()
    (other / "best_model.pkl").write_bytes(b"not a pickle")
    model_time = (trained / "best_model.pkl").stat().st_mtime
    os.utime(other / "best_model.pkl", (model_time - 60, model_time - 60))  # saved a minute before the trained one
    capsys.readouterr()
    command_line(["predict", "--n", "5", "--data", str(tiny_idx)])
    assert "Predicted values for the first 5 examples in test set:" in capsys.readouterr().out
    os.utime(other / "best_model.pkl", (model_time + 60, model_time + 60))  # now the newest
    with pytest.raises(SystemExit) as failed:
        command_line(["predict", "--n", "5", "--data", str(tiny_idx)])
    assert str(failed.value.code).startswith("error: ") and str(Path("runs") / other.name / "best_model.pkl") in \
        str(failed.value.code)


def test_cli_missing_data_is_one_line(tmp_path):
    """In-process (the subprocess path is test_cli_runs_logistic_sgd_for_one_epoch's): exit status 1, one line."""
    with pytest.raises(SystemExit) as exit_info:
        command_line(["mlp", "--data", str(tmp_path / "absent.pkl.gz")])
    message = str(exit_info.value.code)
    assert message.startswith(f"error: {tmp_path / 'absent.pkl.gz'}") and "\n" not in message


def test_cli_lists_tutorials_and_maps_options():
    args = build_parser("SdA").parse_args(["SdA", "--n-epochs", "3", "--pretraining-epochs", "1", "--mode", "numba"])
    assert (args.training_epochs, args.pretraining_epochs, args.mode) == (3, 1, "numba")
    assert build_parser("SdA").parse_args(["SdA"]).training_epochs == 1000
    assert build_parser("mlp").parse_args(["mlp", "--n-epochs", "2"]).n_epochs == 2


def test_the_help_names_every_tutorial_without_loading_a_backend():
    """``python -m dltutorial --help`` imports no tutorial, hence neither Numba nor JAX, and says what each does."""
    done = subprocess.run([sys.executable, "-c", "import sys\nfrom dltutorial.__main__ import main\n"
                           "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
                           "print(sorted(m for m in ('numba', 'jax', 'dltutorial.SdA') if m in sys.modules))"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert all(name in done.stdout for name in TUTORIALS) and "text 00" not in done.stdout


def test_an_option_the_tutorial_does_not_take_is_a_one_line_error(capsys):
    """``--data`` for HMC (which samples a generated Gaussian): argparse's usage error, exit status 2."""
    with pytest.raises(SystemExit) as exit:
        build_parser("hmc").parse_args(["hmc", "--data", "mnist.pkl.gz"])
    assert exit.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith("error: unrecognized arguments: --data mnist.pkl.gz")


def test_tile_raster_images_layout():
    X = numpy.arange(6 * 4, dtype=float).reshape(6, 4)
    out = tile_raster_images(X, img_shape=(2, 2), tile_shape=(2, 3), tile_spacing=(1, 1))
    assert out.shape == (5, 8) and out.dtype == numpy.uint8
    # each tile scaled to [0, 1) (eps 1e-8) then truncated to uint8, as the original: 0, 84, 169, 254
    numpy.testing.assert_array_equal(out[0:2, 0:2], [[0, 84], [169, 254]])
    assert (out[2, :] == 0).all() and (out[:, 2] == 0).all()  # spacing
    floats = tile_raster_images(X, (2, 2), (2, 3), output_pixel_vals=False, scale_rows_to_unit_interval=False)
    numpy.testing.assert_array_equal(floats[2:4, 0:2], X[3].reshape(2, 2))


def test_tile_raster_images_four_channels():
    X = numpy.random.RandomState(0).rand(4, 9)
    out = tile_raster_images((X, X, None, None), img_shape=(3, 3), tile_shape=(2, 2))
    assert out.shape == (6, 6, 4) and out.dtype == numpy.uint8
    assert (out[:, :, 3] == 255).all() and (out[:, :, 2] == 0).all()
    numpy.testing.assert_array_equal(out[:, :, 0], out[:, :, 1])


def test_the_command_line_gives_openblas_one_thread_unless_told(monkeypatch):
    from dltutorial.engine.configure import use_one_blas_thread_by_default

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    use_one_blas_thread_by_default()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    use_one_blas_thread_by_default()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"


def test_entry_functions_named_test_are_not_collected_by_pytest():
    named_test = [entry_function(name) for name, (_, function, _) in TUTORIALS.items() if function.startswith("test")]
    assert len(named_test) == 8  # test_mlp, test_dA, test_SdA, test_rbm, test_DBN, test_cA, test_hmc, test_rnnrbm
    assert all(func.__test__ is False for func in named_test)


def test_importing_the_tutorials_changes_nothing_in_pytensor_or_matplotlib():
    """PyTensor is configured at the first compile through our modes, not at import."""
    program = (
        "import matplotlib; backend = matplotlib.get_backend()\n"
        "import pytensor\n"
        "from pytensor.compile import optdb\n"
        "floatX = pytensor.config.floatX\n"
        "import dltutorial.__main__, dltutorial.theano\n"
        "assert pytensor.config.floatX == floatX, 'floatX changed at import'\n"
        "assert 'dltutorial_refine_static_shape' not in optdb.__db__, 'rewrites registered at import'\n"
        "assert matplotlib.get_backend() == backend, 'backend changed at import'\n"
        "assert pytensor.config.gcc__cxxflags == '', 'C flags set at import'\n"
        "from dltutorial.core.modes import compile_mode\n"
        "compile_mode('c')\n"
        "assert 'dltutorial_refine_static_shape' in optdb.__db__\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTENSOR_FLAGS="")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_every_module_the_makefile_runs_exists():
    """``make bench``, ``make reproduce``, ``make data`` ... run ``python -m <module>``: each must be importable."""
    import importlib.util
    import re
    import tomllib
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    modules = set(re.findall(r"\$\(PYTHON\) -m ([\w.]+)", makefile)) - {"pip", "pytest"}
    assert {"dltutorial", "bench.run", "bench.reproduce", "dltutorial.core.data", "sphinx"} <= modules
    # make docs installs the docs extra first (sphinx is not a test dependency): it must name sphinx
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert any(req.startswith("sphinx>") for req in pyproject["project"]["optional-dependencies"]["docs"])
    for module in modules - {"sphinx"}:
        assert importlib.util.find_spec(module) is not None, f"the Makefile runs python -m {module}, which is missing"
