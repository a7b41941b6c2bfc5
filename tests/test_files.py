import json
import os

import pytest

from dltutorial.core.files import atomic_write, save_json


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "results.json"
    save_json({"a": 1}, target)
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as f:
            f.write('{"a": 2')  # half-written
            raise RuntimeError("interrupted")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        save_json({}, tmp_path / "r.json")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
