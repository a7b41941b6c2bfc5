"""Writing result files so that nothing is ever half-written.

Every file a tutorial produces (pickled models, JSON results, pictures) goes
through :func:`atomic_write`: the bytes go to a temporary file in the same
folder, which then replaces the target in one step.  An interrupted run
leaves either the old file or the new one, never a truncated one.
"""

import contextlib
import json
import math
import os
import pickle
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Open a temporary file beside ``path``; move it over ``path`` on success.

    The yielded file's ``name`` is the temporary path, so the content can be
    checked before it replaces ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(error, OSError) and error.filename is None:  # a full disk: say which file did not fit
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise


def save_pickle(obj, path):
    """Pickle ``obj`` to ``path`` atomically."""
    with atomic_write(path) as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def save_json(obj, path):
    """Write ``obj`` as indented JSON to ``path`` atomically; NaN and infinities become null (valid JSON)."""
    with atomic_write(path, "w") as f:
        json.dump(_finite(obj), f, indent=2, allow_nan=False)
        f.write("\n")


def _finite(value):
    """``value`` with numpy numbers as Python ones and non-finite floats as None, in every dict and list."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a numpy scalar or 0-d array
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
