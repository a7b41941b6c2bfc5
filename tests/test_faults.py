"""Bad input and faults: each ends with one line naming the problem and the fix, and nothing poisoned is kept."""

import errno
import gzip
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy
import pytensor
import pytest

from dltutorial.__main__ import main
from dltutorial.core import files
from dltutorial.core.data import DataError, fetch, load_data
from dltutorial.core.errors import ArgumentError, TrainingDiverged
from dltutorial.core.runs import MissingRunFile
from dltutorial.dA import test_dA
from dltutorial.logistic_sgd import LogisticRegression, predict, sgd_optimization_mnist

from dltutorial.core.tiny_data import write_idx_folder


def one_line_error(argv, capsys):
    """Run the command line in-process; return its one error line (and check that it is one line)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    message = str(exit_info.value.code)
    assert exit_info.value.code not in (0, None) and "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("options, named", [
    (["--batch-size", "-5"], "batch_size=-5 (--batch-size): must be a whole number >= 1"),
    (["--batch-size", "0"], "batch_size=0"),
    (["--learning-rate", "nan"], "learning_rate=nan (--learning-rate): must be a finite number > 0"),
    (["--n-epochs", "0"], "n_epochs=0"),
    (["--batch-size", "100000"], "fewer than one minibatch of 100000: use a smaller batch_size (--batch-size)"),
])
def test_bad_arguments_are_refused_before_any_work(options, named, tiny_idx, tmp_path, capsys):
    message = one_line_error(["logistic_sgd", "--data", str(tiny_idx), *options], capsys)
    assert message.startswith("error: ") and named in message
    assert not (tmp_path / "runs").exists()  # no run folder left


def test_data_for_a_tutorial_that_takes_none_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["lstm_chars", "--data", "somewhere"])
    assert exit_info.value.code == 2 and "unrecognized arguments: --data somewhere" in capsys.readouterr().err


def test_model_arguments_are_checked_too(tiny_idx, capsys):
    assert "hidden_layers_sizes=[10, 0]" in one_line_error(
        ["DBN", "--data", str(tiny_idx), "--hidden-layers-sizes", "10", "0"], capsys)
    assert "masking_fractions=[1.5]" in one_line_error(
        ["masking_noise_sae", "--data", str(tiny_idx), "--masking-fractions", "1.5"], capsys)


def write_flat_images(path, pixels):
    """A mnist.pkl.gz of three splits of 40 flat images of ``pixels`` pixels each."""
    split = (numpy.random.RandomState(0).rand(40, pixels).astype("float32"), numpy.arange(40) % 10)
    with gzip.open(path, "wb") as f:
        pickle.dump([split] * 3, f, protocol=2)
    return path


@pytest.mark.parametrize("argv, line", [
    (["lenet5", "--nkerns", "20", "50", "70"], "nkerns=[20, 50, 70] (--nkerns): must be 2 values, one a layer"),
    (["linear_autoencoder_pca", "--seed", "-1"], "seed=-1 (--seed): must be a whole number from 0 to 4294967294"),
    (["linear_autoencoder_pca", "--seed", str(2 ** 32)], f"seed={2 ** 32} (--seed): must be a whole number"),
    (["stacked_autoencoder", "--noise", "salt"], "noise='salt' (--noise): must be one of '', 'gaussian', 'dropout'"),
    (["stacked_autoencoder", "--noise", "dropout"],  # its default noise_level, 1.0, would drop every input
     "noise_level=1.0 (--noise-level): with dropout noise it is the fraction of inputs dropped, a number in [0, 1)"),
    (["denoising_autoencoder", "--noise", "dropout", "--noise-level", "1.5"], "noise_level=1.5 (--noise-level)"),
    (["rbm", "--n-chains", "120"],
     "n_chains=120 (--n-chains): the sampling chains start from distinct test images, so it must be below the test "
     "set's 120"),
    (["lenet5"], "8x8 images are too small for two 5x5 convolutions with (2, 2) pooling: give images of at least "
                 "16 x 16"),
    (["masking_noise_sae", "--masking-fractions", "1"], "masking_fractions=[1.0] (--masking-fractions): each value "
                                                        "must be a number in [0, 1) (1 would mask every input)"),
    (["unsupervised_pretraining", "--n-labels", "501"],
     "n_labels=501 (--n-labels): the labelled images are taken from the training set, which has 500"),
    (["linear_autoencoder_pca", "--n-points", "2"], "n_points=2 (--n-points): the points must span a plane"),
    (["lstm", "--n-words", "10"], "n_words=10 (--n-words): the synthetic task needs a vocabulary of at least 30"),
    (["predict", "--n", "0"], "n=0 (--n): must be a whole number >= 1"),
    (["lstm_chars", "--text", "a"], "text='a' (--text): must be at least 2 characters"),
    (["rnnslu", "--fold", "7"], "fold=7 (--fold): must be one of 0, 1, 2, 3, 4"),
    (["rnnslu", "--win", "4"], "win=4 (--win): the context window must be odd"),
    (["lstm", "--reload-model", "nothere.npz"], "reload_model='nothere.npz' (--reload-model): no such file"),
])
def test_an_option_the_data_or_the_maths_cannot_take_is_one_line_before_any_work(argv, line, tiny_idx, tmp_path,
                                                                                  capsys):
    data = {"linear_autoencoder_pca": [], "lstm_chars": [], "lstm": ["--data", "synthetic"],
            "rnnslu": ["--data", "synthetic"]}.get(argv[0], ["--data", str(tiny_idx)])
    message = one_line_error([*argv, *data], capsys)
    assert message.startswith(f"error: {line}")
    assert not (tmp_path / "runs").exists()  # no run folder left


@pytest.mark.parametrize("tutorial", ["dA", "SdA", "cA", "DBN", "rbm", "lenet5"])
def test_images_that_are_not_square_are_named_before_any_work(tutorial, tmp_path, capsys):
    data = write_flat_images(tmp_path / "mnist.pkl.gz", 50)
    message = one_line_error([tutorial, "--data", str(data), "--batch-size", "10"], capsys)
    assert message == (f"error: {data}: its images have 50 pixels, not a square's: this tutorial takes square images "
                       "(MNIST's are 28 x 28)")
    assert not (tmp_path / "runs").exists()


def test_the_original_lstm_flag_reload_model_true_reads_saveto(capsys):
    """The original's ``reload_model`` was a flag that read 'lstm_model.npz' (saveto's default): True names it."""
    from dltutorial.lstm import train_lstm

    with pytest.raises(ArgumentError, match=r"^reload_model='lstm_model.npz' \(--reload-model\): no such file"):
        train_lstm(dataset="synthetic", reload_model=True, max_epochs=1)


@pytest.mark.parametrize("write, problem", [
    (lambda path: path.write_bytes(b""), "an empty file"),
    (lambda path: path.write_text("hello\n"), "corrupt or truncated pickle"),
    (lambda path: path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 1, 7]))),
     "one IDX file; give the folder that holds the four"),
])
def test_a_data_file_that_is_no_data_set_is_named(write, problem, tmp_path, capsys):
    data = tmp_path / "mnist.pkl.gz"
    write(data)
    assert one_line_error(["logistic_sgd", "--data", str(data)], capsys).startswith(f"error: {data}: {problem}")
    assert not (tmp_path / "runs").exists()


def test_a_pickle_is_read_whether_or_not_it_is_gzipped_whatever_its_name(tmp_path):
    splits = [(numpy.full((30, 4), 0.5, "float32"), numpy.arange(30) % 10)] * 3
    (tmp_path / "plain.pkl.gz").write_bytes(pickle.dumps(splits, protocol=2))
    (tmp_path / "zipped.pkl").write_bytes(gzip.compress(pickle.dumps(splits, protocol=2)))
    for name in ("plain.pkl.gz", "zipped.pkl"):
        assert load_data(str(tmp_path / name))[0][0].get_value().shape == (30, 4)


def test_a_folder_holding_the_original_pickle_is_read_as_that_pickle(tmp_path):
    splits = [(numpy.full((30, 4), 0.5, "float32"), numpy.arange(30) % 10)] * 3
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mnist.pkl.gz").write_bytes(gzip.compress(pickle.dumps(splits, protocol=2)))
    assert load_data(str(tmp_path / "data"))[2][0].get_value().shape == (30, 4)


def test_an_imdb_folder_and_an_imdb_pickle_of_another_structure_are_named(tmp_path):
    from dltutorial.imdb import find_imdb, read_imdb_pickle

    (tmp_path / "imdb").mkdir()
    with pytest.raises(DataError, match=r"^imdb.pkl not found \(looked in .*imdb/imdb.pkl"):
        find_imdb(str(tmp_path / "imdb"))
    (tmp_path / "imdb" / "imdb.pkl").write_bytes(pickle.dumps(1) + pickle.dumps(2))
    assert find_imdb(str(tmp_path / "imdb")) == tmp_path / "imdb" / "imdb.pkl"
    with pytest.raises(DataError, match=r"the train set is not a \(sequences, labels\) pair"):
        read_imdb_pickle(tmp_path / "imdb" / "imdb.pkl")


def test_an_output_folder_that_is_a_file_is_named(tiny_idx, tmp_path, capsys):
    (tmp_path / "a_file").write_text("x")
    assert one_line_error(["dA", "--data", str(tiny_idx), "--output-folder", "a_file"], capsys) == (
        "error: a_file: a file, not a folder: give another output folder")


def test_a_data_set_that_is_not_a_path_is_named():
    with pytest.raises(DataError, match=r"^dataset=123: give the path of a file or folder"):
        load_data(123)


def test_an_idx_folder_with_a_file_missing_is_named(tiny_idx, capsys):
    (tiny_idx / "t10k-labels-idx1-ubyte.gz").unlink()
    message = one_line_error(["mlp", "--data", str(tiny_idx)], capsys)
    assert "t10k-labels-idx1-ubyte (.gz or not) missing from the IDX folder" in message


def test_labels_outside_the_digits_are_refused(tmp_path):
    bad = [(numpy.zeros((5, 4), "float32"), numpy.array([0, 1, 2, 3, 12]))] * 3
    with gzip.open(tmp_path / "mnist.pkl.gz", "wb") as f:
        pickle.dump(bad, f)
    with pytest.raises(DataError, match=r"train labels range over 0\.\.12, expected the digits 0\.\.9"):
        load_data(str(tmp_path / "mnist.pkl.gz"))


def test_an_output_folder_that_cannot_be_made_is_one_line_before_training(tiny_idx, tmp_path, capsys):
    (tmp_path / "a_file").write_text("not a folder")
    message = one_line_error(["logistic_sgd", "--data", str(tiny_idx), "--output-folder",
                              str(tmp_path / "a_file" / "run")], capsys)
    assert "a_file" in message and "check the folder exists, is writable and has free space" in message
    assert "... training" not in capsys.readouterr().out  # refused before any work


def test_a_full_disk_is_one_line(tiny_idx, monkeypatch, capsys):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "runs/x/results.json")

    monkeypatch.setattr(files.json, "dump", no_space)
    message = one_line_error(["logistic_sgd", "--data", str(tiny_idx)], capsys)
    assert message.startswith("error: runs/x/results.json: No space left on device")
    assert not Path("runs").exists()  # no empty run folder left behind, nor the runs/ it was to go in


def test_an_unexpected_error_asks_for_debug_which_shows_the_traceback(tiny_idx, monkeypatch, capsys):
    import dltutorial.logistic_sgd

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(dltutorial.logistic_sgd, "early_stopping", broken)
    message = one_line_error(["logistic_sgd", "--data", str(tiny_idx), "--batch-size", "20"], capsys)
    assert message == "error: RuntimeError: something inside broke (an unexpected error; rerun with --debug for " \
                      "the traceback)"
    with pytest.raises(RuntimeError, match="something inside broke"):
        main(["logistic_sgd", "--data", str(tiny_idx), "--batch-size", "20", "--debug"])


def test_a_diverging_cost_stops_training_and_saves_nothing_poisoned(tiny_idx, tmp_path):
    with pytest.raises(TrainingDiverged, match="the training cost became (nan|inf) at epoch 1, minibatch 1, after "
                                               "finite costs until then: .*lower the learning rate"):
        # 1e300 is finite, but not in float32: the first step's weights become inf, the cost NaN
        sgd_optimization_mnist(learning_rate=1e300, n_epochs=3, dataset=str(tiny_idx), batch_size=20,
                               output_folder=tmp_path / "run", floatX="float32")
    assert not (tmp_path / "run").exists()  # it failed at its first step: nothing saved, no empty folder left


@pytest.mark.parametrize("tutorial", ["logistic_sgd", "dA"])  # the early-stopping loop and the fixed-epoch loop
def test_a_cost_undefined_before_any_update_does_not_blame_the_learning_rate(tutorial, tiny_idx, tmp_path,
                                                                             monkeypatch):
    import dltutorial.core.training as training

    real_finite = training.finite
    monkeypatch.setattr(training, "finite", lambda cost, *where: real_finite(float("nan"), *where))
    entry = {"logistic_sgd": sgd_optimization_mnist, "dA": test_dA}[tutorial]
    with pytest.raises(TrainingDiverged, match="^the training cost is nan at epoch [01], minibatch 0, before any "
                                               "update: the untrained model's cost is undefined on this data") as error:
        entry(dataset=str(tiny_idx), batch_size=20, output_folder=tmp_path / "run")
    assert "learning rate" not in str(error.value)


def test_a_run_that_diverges_later_keeps_its_finished_epochs(tiny_idx, tmp_path, monkeypatch):
    import dltutorial.core.training as training

    step_costs = iter([1.0] * 60 + [float("nan")])
    real_finite = training.finite
    monkeypatch.setattr(training, "finite", lambda cost, *where: real_finite(next(step_costs), *where))
    with pytest.raises(TrainingDiverged, match="became nan at epoch 3, minibatch 10, after finite costs until then: "
                                               "the steps grew too large; lower the learning rate"):
        sgd_optimization_mnist(n_epochs=5, dataset=str(tiny_idx), batch_size=20, output_folder=tmp_path / "run")
    record = json.loads((tmp_path / "run" / "results.json").read_text())  # valid JSON: no NaN, no Infinity
    assert record["status"] == "failed"
    with open(tmp_path / "run" / "best_model.pkl", "rb") as f:
        assert all(numpy.isfinite(p.get_value()).all() for p in pickle.load(f).params)


def test_results_json_holds_no_infinity(tmp_path):
    files.save_json({"best": float("inf"), "costs": [1.0, float("nan")], "n": numpy.float32(2.5)}, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text()) == {"best": None, "costs": [1.0, None], "n": 2.5}


@pytest.mark.parametrize("content, problem", [(None, "no such model file"), (b"", "not a readable model"),
                                              (pickle.dumps([1, 2]), "holds a list, not the LogisticRegression")])
def test_predict_names_a_missing_truncated_or_foreign_model(content, problem, tiny_idx, tmp_path):
    model = tmp_path / "best_model.pkl"
    if content is not None:
        model.write_bytes(content)
    with pytest.raises(MissingRunFile, match=problem):
        predict(dataset=str(tiny_idx), model=str(model))


def test_predict_names_both_sizes_when_the_model_does_not_fit_the_data(tiny_idx, tmp_path):
    """A model of 8 x 8 images given 6 x 6 ones: one line with both sizes, before anything compiles."""
    model = tmp_path / "best_model.pkl"
    with open(model, "wb") as f:
        pickle.dump(LogisticRegression(pytensor.tensor.matrix("x"), n_in=64, n_out=10), f)
    other = write_idx_folder(tmp_path / "six", side=6)
    with pytest.raises(DataError, match=rf"^{model} takes images of 64 pixels, the test set of {other} has 36: "):
        predict(dataset=str(other), model=str(model))


def test_predict_takes_the_run_folder_and_refuses_more_images_than_the_test_set(tiny_idx, tmp_path, capsys):
    sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_idx), batch_size=20, output_folder=tmp_path / "run")
    assert predict(dataset=str(tiny_idx), model=str(tmp_path / "run"), n=3).shape == (3,)
    assert one_line_error(["predict", "--data", str(tiny_idx), "--model", str(tmp_path / "run"), "--n", "121"],
                          capsys) == f"error: n=121 (--n): the test set of {tiny_idx} has 120 images"


def test_a_run_resumes_from_another_folder_with_its_data_named_relatively(tiny_idx, tmp_path, monkeypatch, capsys):
    """The record keeps the data set's absolute path: ``--data ../idx`` from elsewhere is the same data set."""
    main(["logistic_sgd", "--data", str(tiny_idx), "--n-epochs", "1", "--batch-size", "20", "--output-folder", "run"])
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    main(["logistic_sgd", "--data", "../idx", "--n-epochs", "1", "--batch-size", "20", "--resume", "../run"])
    assert "... resuming after epoch 1" in capsys.readouterr().out


def test_resuming_another_tutorials_run_names_both_tutorials(tiny_idx, tmp_path, capsys):
    main(["logistic_sgd", "--data", str(tiny_idx), "--n-epochs", "1", "--batch-size", "20", "--output-folder", "run"])
    assert one_line_error(["dA", "--data", str(tiny_idx), "--resume", "run"], capsys) == (
        "error: run holds a run of logistic_sgd, not of dA: give another output folder")


def test_mode_c_without_a_compiler_says_so_and_the_default_is_numba(monkeypatch):
    from dltutorial.core.modes import ModeError, check_mode

    monkeypatch.setattr(pytensor.config, "cxx", "")
    assert check_mode(None) == "numba"
    with pytest.raises(ModeError, match=r"^mode 'c' needs a C compiler, and PyTensor found none .*--mode numba$"):
        check_mode("c")


@pytest.mark.parametrize("variable, value, named", [
    ("PYTENSOR_FLAGS", "floatX=bogus", "Invalid value ('bogus') for configuration variable 'floatX'"),
    ("OMP_NUM_THREADS", "abc", "OMP_NUM_THREADS should be a number, got 'abc'"),
])
def test_a_setting_pytensor_refuses_at_import_is_one_line(variable, value, named, tmp_path):
    env = dict(os.environ, **{variable: value})
    done = subprocess.run([sys.executable, "-m", "dltutorial", "logistic_sgd"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: PyTensor refused a setting: ") and named in done.stderr


@pytest.mark.backends
def test_a_model_saved_under_jax_predicts_in_c(tiny_idx, tmp_path):
    pytest.importorskip("jax")
    record = sgd_optimization_mnist(n_epochs=1, dataset=str(tiny_idx), batch_size=20, mode="jax", floatX="float64",
                                    output_folder=tmp_path / "run")
    assert record["mode"] == "jax"
    assert predict(dataset=str(tiny_idx), model=str(tmp_path / "run" / "best_model.pkl"), mode="c").shape == (10,)


def test_make_data_downloads_a_corrupt_file_again(tmp_path):
    """fetch() keeps good files and replaces a corrupt one from the mirror (here a local folder)."""
    mirror = write_idx_folder(tmp_path / "mirror")
    checksums = {path.name[:-3]: {__import__("hashlib").md5(path.read_bytes()).hexdigest()}
                 for path in mirror.iterdir()}
    dest = tmp_path / "data"
    fetch(dest, mirrors=[mirror.as_uri() + "/"], checksums=checksums)
    broken = dest / "train-labels-idx1-ubyte.gz"
    broken.write_bytes(b"\x1f\x8b garbage")
    fetch(dest, mirrors=[mirror.as_uri() + "/"], checksums=checksums)
    assert broken.read_bytes() == (mirror / "train-labels-idx1-ubyte.gz").read_bytes()


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.Popen([sys.executable, "-m", "dltutorial", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.processes
def test_sigterm_stops_a_run_as_ctrl_c_does_and_it_resumes(tiny_idx, tmp_path):
    """kill (a batch system's time limit): status interrupted, the line naming the folder, then --resume goes on."""
    args = ["dA", "--data", str(tiny_idx), "--training-epochs", "100000", "--floatX", "float64"]
    run = run_cli(*args, "--output-folder", "stopped", cwd=tmp_path)
    checkpoint = tmp_path / "stopped" / "checkpoints" / "dA-corruption0.pkl"
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1
    assert err.strip().splitlines()[-1] == (
        "interrupted: run it again with --resume stopped to go on after the last finished epoch")
    assert json.loads((tmp_path / "stopped" / "results.json").read_text())["status"] == "interrupted"


@pytest.mark.processes
def test_a_killed_plain_run_resumes_with_identical_numbers(tmp_path):
    """SIGKILL (no chance to clean up) after a checkpoint, then --resume: the numbers of an uninterrupted run."""
    data = write_idx_folder(tmp_path / "idx", n_train=3000)
    args = ["logistic_sgd", "--n-epochs", "40", "--batch-size", "10", "--data", str(data), "--floatX", "float64"]
    assert run_cli(*args, "--output-folder", "whole", cwd=tmp_path).wait(timeout=300) == 0
    killed = run_cli(*args, "--output-folder", "killed", cwd=tmp_path)
    checkpoint = tmp_path / "killed" / "checkpoints" / "logistic_sgd-training.pkl"
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline:
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    if json.loads((tmp_path / "killed" / "results.json").read_text())["status"] == "done":
        pytest.skip("the run finished before it could be killed")
    resumed = run_cli(*args, "--resume", "killed", cwd=tmp_path)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "... resuming after epoch" in out
    whole, again = (json.loads((tmp_path / name / "results.json").read_text()) for name in ("whole", "killed"))
    assert again["status"] == "done"
    assert again["training"]["epoch_costs"] == whole["training"]["epoch_costs"]
    assert again["test_error"] == whole["test_error"] and again["training"]["validation"] == whole["training"][
        "validation"]


@pytest.mark.parametrize("n_train, n_test, empty", [(600, 0, "test"), (1, 120, "train")])
def test_an_idx_folder_with_an_empty_set_is_named(n_train, n_test, empty, tmp_path, capsys):
    data = write_idx_folder(tmp_path / "idx", n_train=n_train, n_test=n_test)
    assert one_line_error(["mlp", "--data", str(data)], capsys) == f"error: {data}: the {empty} set is empty"
    assert not (tmp_path / "runs").exists()


def foreign_pickle():
    """A pickle of a class from a module no Python has (the GLOBAL opcode): unpickling it fails to import."""
    return b"ca_module_nobody_installed\nNotInstalled\n."


@pytest.mark.parametrize("content, problem", [
    (foreign_pickle, "not an ATIS fold (it needs No module named 'a_module_nobody_installed')"),
    (lambda: gzip.compress(pickle.dumps((1, 2, 3, 4))), "not an ATIS fold (three sets of word"),
    (lambda: b"", "an empty file"),
])
def test_an_atis_fold_that_is_no_fold_is_named(content, problem, tmp_path, capsys):
    (tmp_path / "atis").mkdir()
    fold = tmp_path / "atis" / "atis.fold3.pkl.gz"
    fold.write_bytes(content())
    message = one_line_error(["rnnslu", "--data", str(tmp_path / "atis"), "--nepochs", "1"], capsys)
    assert message.startswith(f"error: {fold}: {problem}") and "download it again" in message
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("content, problem", [
    (lambda: foreign_pickle() + foreign_pickle(), "not the tutorial's imdb.pkl (it needs No module named"),
    (lambda: pickle.dumps((1, 2)) + pickle.dumps((3, 4)), "the train set is not a (sequences, labels) pair"),
    (lambda: pickle.dumps(([[1, 2], "ab"], [0, 1])) * 2, "the train set is not a (sequences, labels) pair"),
])
def test_an_imdb_pickle_that_is_no_imdb_pickle_is_named(content, problem, tmp_path, capsys):
    data = tmp_path / "imdb.pkl"
    data.write_bytes(content())
    message = one_line_error(["lstm", "--data", str(data), "--max-epochs", "1"], capsys)
    assert message.startswith(f"error: {data}: {problem}")
    assert not (tmp_path / "runs").exists()


def test_rnnslu_refuses_a_setting_its_param_does_not_have(tmp_path):
    from dltutorial.rnnslu import main as rnnslu_main

    with pytest.raises(ArgumentError, match=r"^param has no setting 'nhiden': its settings are fold, data, "):
        rnnslu_main(param={"data": "synthetic", "nepochs": 1, "nhiden": 5})
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("call, named", [
    (lambda: __import__("dltutorial.DBN").DBN.test_DBN(hidden_layers_sizes=10),
     "hidden_layers_sizes=10 (--hidden-layers-sizes): must be a list of values"),
    (lambda: __import__("dltutorial.masking_noise").masking_noise.masking_noise_sae(seeds=5),
     "seeds=5 (--seeds): must be a list of values"),
    (lambda: __import__("dltutorial.masking_noise").masking_noise.masking_noise_sae(n_hidden=100),
     "n_hidden=100 (--n-hidden): must be a list of values"),
    (lambda: predict(model=123), "model=123 (--model): must be a path"),
    (lambda: sgd_optimization_mnist(output_folder=123), "output_folder=123 (--output-folder): must be a path"),
    (lambda: __import__("dltutorial.rnnrbm").rnnrbm.test_rnnrbm(dataset=123), "dataset=123 (--data): must be a path"),
])
def test_an_entry_function_names_an_argument_of_the_wrong_kind(call, named, tmp_path):
    with pytest.raises(ArgumentError) as error:
        call()
    assert str(error.value).startswith(named)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("options, named", [
    (["hmc", "--dim", "1"], "dim=1 (--dim): HMC's picture shows the samples' first two dimensions: at least 2"),
    (["lstm", "--data", "synthetic", "--maxlen", "5"], "maxlen=5 (--maxlen): the synthetic task's reviews have 5"),
])
def test_a_size_the_tutorial_cannot_use_is_named_before_any_work(options, named, tmp_path, capsys):
    assert one_line_error(options, capsys).startswith(f"error: {named}")
    assert not (tmp_path / "runs").exists()


def test_a_refused_resume_keeps_the_finished_runs_record(tiny_idx, tmp_path, capsys):
    """A resume that fails (a corrupt checkpoint) leaves the finished run's results as they were; deleting the
    checkpoint, the way out the error names, trains that loop again and says so."""
    run = tmp_path / "run"
    argv = ["logistic_sgd", "--data", str(tiny_idx), "--n-epochs", "2", "--batch-size", "20"]
    main([*argv, "--output-folder", str(run)])
    finished = (run / "results.json").read_text()
    (checkpoint,) = (run / "checkpoints").glob("*.pkl")
    checkpoint.write_bytes(b"garbage")
    assert "corrupt checkpoint" in one_line_error([*argv, "--resume", str(run)], capsys)
    assert (run / "results.json").read_text() == finished
    checkpoint.unlink()
    capsys.readouterr()
    main([*argv, "--resume", str(run)])
    assert f"note: {checkpoint} is missing: the finished run in {run} trains that loop again" in capsys.readouterr().out
    assert json.loads((run / "results.json").read_text())["status"] == "done" and checkpoint.is_file()


def test_a_record_whose_fields_are_not_a_records_is_refused(tiny_idx, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({"tutorial": "logistic_sgd", "parameters": {}, "seconds": "abc"}))
    assert one_line_error(["logistic_sgd", "--data", str(tiny_idx), "--resume", str(run)], capsys) == (
        f"error: {run}/results.json is not a run's record: give another output folder, or delete this one to start "
        "over")


def test_a_full_disk_names_the_file_that_did_not_fit(tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write that finds the disk full: no file named

    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(OSError) as error:
        files.save_json({"a": 1}, tmp_path / "results.json")
    assert error.value.errno == errno.ENOSPC and error.value.filename == str(tmp_path / "results.json")
    assert list(tmp_path.iterdir()) == []  # nor its temporary file


def test_a_held_out_piece_that_cannot_be_read_stops_rnnrbm_before_training(tmp_path, capsys):
    from dltutorial.core.tiny_data import write_music_folder

    music = write_music_folder(tmp_path / "music")
    (music / "test" / "broken.mid").write_bytes(b"MThd\0\0")
    message = one_line_error(["rnnrbm", "--data", str(music), "--num-epochs", "1"], capsys)
    assert message.startswith(f"error: {music / 'test' / 'broken.mid'}: not a readable MIDI file")
    assert not (tmp_path / "runs").exists()


def test_a_frame_longer_than_every_piece_says_so(tmp_path, capsys):
    from dltutorial.core.tiny_data import write_music_folder

    music = write_music_folder(tmp_path / "music")
    message = one_line_error(["rnnrbm", "--data", str(music), "--dt", "1000"], capsys)
    assert message == (f"error: Training set is empty! (did you download the data files?): no piece in "
                       f"{music / 'train'} lasts a frame of dt=1000.0 s; lower --dt (the original's is 0.3)")


def test_the_theano_runner_names_a_translation_folder_it_cannot_make(tmp_path, capsys):
    from dltutorial.theano.__main__ import main as theano_main

    (tmp_path / "a_file").write_text("x")
    script = tmp_path / "script.py"
    script.write_text("print 'hello'\n")
    with pytest.raises(SystemExit) as exit_info:
        theano_main(["--python2", "--write-python3", str(tmp_path / "a_file" / "out"), str(script)])
    assert str(exit_info.value.code).startswith(f"error: {tmp_path / 'a_file' / 'out'}: cannot hold the translations")
