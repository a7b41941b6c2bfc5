import gzip
import os
import subprocess
from pathlib import Path

import numpy
import pytest

from dltutorial.core import data
from dltutorial.core.data import DataError, fetch, load_data, load_mnist, read_idx
from dltutorial.core.modes import compile_mode

from dltutorial.core.tiny_data import idx_bytes, write_idx_folder


def test_three_input_kinds_give_identical_arrays(tiny_idx, tiny_pickle, tmp_path):
    plain = write_idx_folder(tmp_path / "plain", compress=False)
    kinds = [load_mnist(tiny_idx), load_mnist(tiny_pickle), load_mnist(plain)]
    for other in kinds[1:]:
        for (x0, y0), (x1, y1) in zip(kinds[0], other):
            numpy.testing.assert_array_equal(x0, x1)
            numpy.testing.assert_array_equal(y0, y1)
    (train_x, train_y), (valid_x, _), (test_x, _) = kinds[0]
    assert train_x.shape == (500, 64) and valid_x.shape == (100, 64) and test_x.shape == (120, 64)
    assert train_x.dtype == numpy.float32 and train_x.max() == 250 / 256


def test_real_split_sizes_and_scaling(monkeypatch, tmp_path):
    """More than 50,000 training images: the first 50,000 train, the rest validate."""
    monkeypatch.setattr(data, "N_TRAIN", 50)
    folder = write_idx_folder(tmp_path / "idx", n_train=60, n_test=10)
    (tx, _), (vx, _), (sx, _) = load_mnist(folder)
    assert (len(tx), len(vx), len(sx)) == (50, 10, 10)


def test_load_data_gives_shared_variables_and_int32_labels(tiny_idx):
    (train_x, train_y), _, (test_x, test_y) = load_data(tiny_idx)
    assert train_x.get_value().shape == (500, 64)
    assert train_y.dtype == "int32" and test_y.eval(mode=compile_mode()).shape == (120,)


def test_missing_file_names_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLTUTORIAL_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError) as error:
        load_mnist("mnist.pkl.gz")
    message = str(error.value)
    assert "\n" not in message and "mnist.pkl.gz" in message and "nowhere" in message and "make data" in message


def test_default_name_finds_idx_folder_through_environment(tiny_idx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLTUTORIAL_DATA", str(tiny_idx))
    assert load_mnist("mnist.pkl.gz")[0][0].shape == (500, 64)


def test_truncated_gzip(tiny_idx):
    path = tiny_idx / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: corrupt or truncated") as error:
        load_mnist(tiny_idx)
    assert "\n" not in str(error.value)


def test_wrong_magic_number(tiny_idx):
    with gzip.open(tiny_idx / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x1f\x00\x08\x01" + bytes(20))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: not an IDX file"):
        load_mnist(tiny_idx)


def test_idx_shorter_than_its_header_says(tmp_path):
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(idx_bytes(numpy.arange(10, dtype=numpy.uint8))[:-3])
    with pytest.raises(DataError, match="truncated IDX file"):
        read_idx(path)


def test_label_count_mismatch(tiny_idx):
    with gzip.open(tiny_idx / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(idx_bytes(numpy.zeros(7, dtype=numpy.uint8)))
    with pytest.raises(DataError, match="120 images but 7 labels"):
        load_mnist(tiny_idx)


def test_pickle_with_wrong_shapes(tmp_path):
    import pickle

    path = tmp_path / "bad.pkl.gz"
    x = numpy.zeros((5, 4), numpy.float32)
    with gzip.open(path, "wb") as f:
        pickle.dump(((x, numpy.zeros(5, numpy.int64)), (x, numpy.zeros(4, numpy.int64)), (x, numpy.zeros(5))), f)
    with pytest.raises(DataError, match=r"bad.pkl.gz: valid set has shapes x\(5, 4\) y\(4,\)"):
        load_mnist(path)


def write_pickle(path, obj):
    import pickle

    with gzip.open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)
    return path


def good_split(n=5):
    return numpy.full((n, 4), 0.5, numpy.float32), numpy.arange(n) % 10


@pytest.mark.parametrize("splits, problem", [
    ({"train": 1}, r"holds a dict, not the three \(x, y\) pairs"),
    ((good_split(), good_split(), [1, 2, 3]), r"the test set is a list, not an \(x, y\) pair"),
    ((good_split(), (good_split()[0][:0], numpy.zeros(0, int)), good_split()), "the valid set is empty"),
    ((good_split(), good_split(), (numpy.array([["a"] * 4] * 5), numpy.zeros(5, int))),
     "test set holds <U1 images and int64 labels, expected numbers"),
    ((good_split(), (numpy.full((5, 4), numpy.nan, numpy.float32), numpy.zeros(5, int)), good_split()),
     "valid set has 20 NaN or infinite pixels"),
    ((good_split(), good_split(), (numpy.full((5, 4), numpy.inf), numpy.zeros(5, int))),
     "test set has 20 NaN or infinite pixels"),
    (((numpy.full((5, 4), 255.0), numpy.zeros(5, int)), good_split(), good_split()),
     "train set's pixels range over 255..255, expected MNIST's 0..1 .*: divide them by their maximum"),
])
def test_a_pickle_of_another_structure_or_content_is_named(tmp_path, splits, problem):
    path = write_pickle(tmp_path / "mine.pkl.gz", splits)
    with pytest.raises(DataError, match=f"^{path}: {problem}"):
        load_mnist(path)


def test_a_pickle_naming_a_class_that_cannot_be_imported_is_named(tmp_path):
    path = tmp_path / "mine.pkl.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"csomebody_elses_package\nTheirModel\n(tR.")  # a pickle of somebody_elses_package.TheirModel()
    with pytest.raises(DataError, match=rf"^{path}: not the tutorial's mnist.pkl.gz \(it needs .*somebody_elses"):
        load_mnist(path)


def test_idx_labels_stored_as_floats_are_refused_not_truncated(tiny_idx):
    labels = tiny_idx / "train-labels-idx1-ubyte.gz"
    values = read_idx(labels).astype(">f4") + 0.5  # 3.5 would have become the digit 3
    header = bytes([0, 0, 0x0D, 1]) + len(values).to_bytes(4, "big")
    with gzip.open(labels, "wb") as f:
        f.write(header + values.tobytes())
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: holds float32 values, expected MNIST's "
                                        "unsigned bytes"):
        load_mnist(tiny_idx)


def _mirror(tmp_path, tiny_idx):
    """A local 'mirror' (file:// URL) serving the tiny files, and their md5 table."""
    import hashlib

    checksums = {stem: (hashlib.md5((tiny_idx / (stem + ".gz")).read_bytes()).hexdigest(), "0" * 32)
                 for stem in data.MNIST_MD5}
    return tiny_idx.as_uri() + "/", checksums


def test_fetch_verifies_and_writes_files(tmp_path, tiny_idx):
    mirror, checksums = _mirror(tmp_path, tiny_idx)
    dest = tmp_path / "dest"
    fetch(dest, mirrors=["file:///nonexistent/", mirror], checksums=checksums)
    assert sorted(p.name for p in dest.iterdir()) == sorted(s + ".gz" for s in checksums)
    assert load_mnist(dest)[0][0].shape == (500, 64)


def test_fetch_accepts_md5_of_decompressed_content(tmp_path, tiny_idx):
    import hashlib

    mirror, checksums = _mirror(tmp_path, tiny_idx)
    stem = "train-images-idx3-ubyte"
    raw = gzip.decompress((tiny_idx / (stem + ".gz")).read_bytes())
    checksums[stem] = ("f" * 32, hashlib.md5(raw).hexdigest())
    fetch(tmp_path / "dest", mirrors=[mirror], checksums=checksums)
    assert (tmp_path / "dest" / (stem + ".gz")).exists()


def test_fetch_keeps_good_files_and_replaces_a_corrupt_one(tmp_path, tiny_idx, capsys):
    mirror, checksums = _mirror(tmp_path, tiny_idx)
    dest = tmp_path / "dest"
    dest.mkdir()
    stems = sorted(checksums)
    for stem in stems:
        (dest / (stem + ".gz")).write_bytes((tiny_idx / (stem + ".gz")).read_bytes())
    (dest / (stems[0] + ".gz")).write_bytes(b"not gzip")
    kept = {stem: (dest / (stem + ".gz")).stat().st_ino for stem in stems[1:]}
    fetch(dest, mirrors=[mirror], checksums=checksums)
    printed = capsys.readouterr().out
    assert printed.count("present, checksum ok") == 3 and f"{stems[0]}.gz: corrupt or not MNIST's" in printed
    assert {stem: (dest / (stem + ".gz")).stat().st_ino for stem in stems[1:]} == kept  # not written again
    assert (dest / (stems[0] + ".gz")).read_bytes() == (tiny_idx / (stems[0] + ".gz")).read_bytes()


def test_fetch_with_wrong_checksum_leaves_nothing(tmp_path, tiny_idx):
    mirror, checksums = _mirror(tmp_path, tiny_idx)
    checksums["t10k-images-idx3-ubyte"] = ("0" * 32, "1" * 32)
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz.*wrong md5") as error:
        fetch(dest, mirrors=[mirror], checksums=checksums)
    assert "\n" not in str(error.value)
    assert not any("t10k-images" in p.name for p in Path(dest).iterdir())
    assert not any(p.name.endswith(".part") for p in Path(dest).iterdir())


def test_fetch_offline_fails_in_one_line(tmp_path):
    with pytest.raises(DataError, match="could not download .* from any mirror") as error:
        fetch(tmp_path / "dest", mirrors=["file:///nonexistent/"])
    assert "\n" not in str(error.value)
    assert list((tmp_path / "dest").iterdir()) == []


REAL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason="the real MNIST files are not on this machine")
def test_the_checksum_table_matches_the_real_files():
    import hashlib

    # the loaders accept a file whose .gz or whose content has the published md5: this machine's
    # train-images was compressed again (its README says so), the other three are the published files
    for stem, (md5_gz, md5_raw) in data.MNIST_MD5.items():
        packed = (REAL_MNIST / (stem + ".gz")).read_bytes()
        assert hashlib.md5(gzip.decompress(packed)).hexdigest() == md5_raw
        assert (hashlib.md5(packed).hexdigest() == md5_gz) == (stem != "train-images-idx3-ubyte")


def test_data_files_land_in_the_checkouts_git_ignored_data_folder(monkeypatch):
    """From a checkout, ``make data`` and the lookups use the data/ beside the package, whose downloads git ignores;
    ``$DLTUTORIAL_DATA_DIR`` names another."""
    assert data.data_dir() == Path(os.environ["DLTUTORIAL_DATA_DIR"])  # this test's own (conftest.py)
    monkeypatch.delenv("DLTUTORIAL_DATA_DIR")
    folder = data.data_dir()
    assert folder == data.CHECKOUT / "data" and (folder / "README.md").is_file()
    if (data.CHECKOUT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", str(folder / "train-images-idx3-ubyte.gz")],
                                 cwd=folder)
        assert ignored.returncode == 0


def test_installed_without_a_checkout_the_data_folder_is_the_users_cache(monkeypatch, tmp_path):
    """A wheel's package has no project folder around it: nothing is written inside site-packages."""
    monkeypatch.delenv("DLTUTORIAL_DATA_DIR")
    monkeypatch.setattr(data, "CHECKOUT", tmp_path / "site-packages")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.data_dir() == tmp_path / "cache" / "dltutorial"
