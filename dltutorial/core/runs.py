"""A tutorial's run: the folder everything it writes goes to, and the record of what it found.

Every entry function has the same shape::

    def test_SdA(finetune_lr=0.1, ..., *, output_folder=None, mode=None, floatX="float32"):
        with Run("SdA", dict(finetune_lr=finetune_lr, ...),
                 output_folder=output_folder, mode=mode, floatX=floatX) as run:
            ...                                  # build (in floatX), compile (with run.mode), train
            run.record["test_error"] = ...       # every figure it prints
        return run.record

:class:`Run` takes the parameters the entry function names, which its record
keeps, and the settings: ``output_folder`` (default a new
``runs/<tutorial>-<timestamp>/``), ``mode`` and ``floatX``.  Inside the block graphs are built in
``floatX``.  The run's ``results.json`` is written when the run starts and
when it ends, with its ``status``: ``running``, ``done``, ``interrupted``
(Ctrl-C) or ``failed``; a tutorial saves it in between with :meth:`Run.save`.
Pictures, model files and checkpoints go in the same folder
(:meth:`Run.path`, :meth:`Run.checkpoint`), so a run given the folder of an
interrupted one resumes where it stopped: with the same settings only (a run
with others is refused before any work), its times adding up over the parts.
The arguments are checked before anything is written
(:func:`~dltutorial.core.arguments.check_arguments`); a new run that fails
before it has written anything but its results.json leaves no folder behind.
Nothing else is written to the current directory.
"""

import json
import shutil
import time
import timeit
from pathlib import Path

import pytensor

from .arguments import DATASET_PARAMETERS, check_arguments
from .errors import TutorialError
from .files import save_json
from .modes import check_float_type, check_mode

RESUME_KEYS = ("tutorial", "mode", "floatX")  # with the parameters: what a resumed run must share with its folder


def new_run_folder(tutorial, base="runs"):
    """Create and return ``runs/<tutorial>-<timestamp>/`` (with a suffix if it exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path(base) / f"{tutorial}-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = Path(base) / f"{tutorial}-{stamp}-{suffix}"
    folder.mkdir(parents=True)
    return folder


def _plain(value):
    """A parameter as JSON can hold it: functions by name, paths and other objects as text, sequences as lists."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if callable(value) and hasattr(value, "__name__"):  # train_lstm's optimizer=adadelta
        return value.__name__
    return str(value)


def _absolute_if_found(name, value):
    """A data set named by a path that exists, as an absolute path: a run resumed from another folder is the same."""
    if name in DATASET_PARAMETERS and isinstance(value, (str, Path)) and Path(value).exists():
        return Path(value).resolve()
    return value


class MissingRunFile(TutorialError, FileNotFoundError):
    """A file an earlier run should have written (a saved model) is missing or unreadable."""


def newest_run_file(tutorial, name, base="runs"):
    """The file ``name`` of the newest ``runs/<tutorial>-*/`` folder that has one."""
    found = sorted(Path(base).glob(f"{tutorial}-*/{name}"), key=lambda path: path.stat().st_mtime)
    if not found:
        raise MissingRunFile(f"no {base}/{tutorial}-*/{name}: run the {tutorial} tutorial first, or name the file")
    return found[-1]


class NoRunToResume(TutorialError, FileNotFoundError):
    """``--resume`` named a folder that holds no run (a typo, or a run that was deleted)."""


def run_to_resume(folder, base="runs"):
    """``folder`` if a run's ``results.json`` is in it; else a one-line error naming the runs ``base`` holds."""
    folder = Path(folder)
    if (folder / "results.json").is_file():
        return folder
    found = sorted(str(path.parent) for path in Path(base).glob("*/results.json"))
    runs = f"the runs in {base}/ are {', '.join(found)}" if found else f"there are no runs in {base}/"
    raise NoRunToResume(f"no run to resume in {folder} ({runs}): give one of them, or --output-folder {folder} "
                        "to start a new run there")


def _settings(record):
    """A record's parameters (its data set's path absolute, as a new record has it), tutorial, mode and float type."""
    parameters = {k: _plain(_absolute_if_found(k, v)) for k, v in record.get("parameters", {}).items()}
    return {**parameters, **{key: record.get(key) for key in RESUME_KEYS}}


class SettingsMismatch(TutorialError, ValueError):
    """A run asked to resume a folder made with other settings."""


class Run:
    """One run of a tutorial; use it as a context manager (see the module's text)."""

    def __init__(self, tutorial, parameters, *, output_folder=None, mode=None, floatX="float32"):
        """``parameters``: the entry function's arguments that the record keeps, and that a resumed run must share."""
        check_arguments({**parameters, "output_folder": output_folder, "mode": mode, "floatX": floatX})
        self.tutorial = tutorial
        self.mode = check_mode(mode)
        self.floatX = check_float_type(floatX)
        parameters = {k: _plain(_absolute_if_found(k, v)) for k, v in parameters.items()}
        self.record = {"tutorial": tutorial, "parameters": parameters, "mode": self.mode, "floatX": self.floatX}
        self.new = not (output_folder and Path(output_folder).exists())
        self._earlier = None if self.new else self._resumable(Path(output_folder))  # the record it resumes
        self.earlier_seconds = float((self._earlier or {}).get("seconds") or 0.0)
        base = Path(output_folder).parent if output_folder else Path("runs")
        self._made = [folder for folder in (base, *base.parents) if not folder.exists()]  # ours to remove on failure
        self.folder = Path(output_folder) if output_folder else new_run_folder(tutorial)
        self.record.update(folder=str(self.folder), status="running")
        self._float_type = None
        self._started = None

    def _resumable(self, folder):
        """Refuse a folder whose earlier run had other settings; return its record (None: the folder holds none)."""
        if not folder.is_dir():
            raise SettingsMismatch(f"{folder}: a file, not a folder: give another output folder")
        try:
            earlier = json.loads((folder / "results.json").read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise SettingsMismatch(f"{folder}/results.json is unreadable ({error}): "
                                   "give another output folder, or delete this one to start over") from None
        seconds = earlier.get("seconds") if isinstance(earlier, dict) else None
        if (not isinstance(earlier, dict) or not isinstance(earlier.get("parameters", {}), dict)
                or not (seconds is None or isinstance(seconds, (int, float)) and seconds >= 0)):
            raise SettingsMismatch(f"{folder}/results.json is not a run's record: give another output folder, "
                                   "or delete this one to start over")
        if earlier.get("tutorial") != self.tutorial:
            raise SettingsMismatch(f"{folder} holds a run of {earlier.get('tutorial')}, not of {self.tutorial}: give "
                                   "another output folder")
        settings, wanted = _settings(earlier), _settings(self.record)
        differ = [f"{k} {settings.get(k)!r} (asked: {wanted.get(k)!r})" for k in sorted(set(settings) | set(wanted))
                  if settings.get(k) != wanted.get(k)]
        if differ:
            raise SettingsMismatch(f"{folder} holds a run made with {', '.join(differ)}: resume it with its "
                                   "settings, or give another output folder")
        return earlier

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob("**/.*.part"):  # left by a killed atomic write
            stale.unlink()
        try:
            self.save()  # an unwritable folder or a full disk shows here, before any work
        except OSError:
            if self.new:  # and leaves no empty run folder behind
                self._remove_folder()
            raise
        self._float_type = pytensor.config.change_flags(floatX=self.floatX)
        self._float_type.__enter__()
        self._started = timeit.default_timer()
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            self.record["status"] = "done"
        elif issubclass(kind, KeyboardInterrupt):
            self.record["status"] = "interrupted"
            error.run_folder = self.folder  # for the command line's line: which folder to resume
        else:
            self.record["status"] = "failed"
        self.record["seconds"] = self.earlier_seconds + timeit.default_timer() - self._started
        self._float_type.__exit__(kind, error, traceback)
        failed = kind is not None and not issubclass(kind, KeyboardInterrupt)  # an interrupted run can be resumed
        if failed and self.new and not any(p.is_file() and p.name != "results.json" for p in self.folder.rglob("*")):
            self._remove_folder()  # failed before it wrote anything: leave no empty run behind
            return False
        if failed and self._earlier is not None:  # a resume that failed keeps the record of the run it resumed
            save_json(self._earlier, self.folder / "results.json")
            return False
        self.save()
        if kind is None:
            print(f"results in {self.folder}")
        return False

    def _remove_folder(self):
        """Remove the new run's folder, and the folders above it (``runs/``) that it created, if now empty."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for folder in self._made:
            try:
                folder.rmdir()
            except OSError:  # another run's folder is in it, or it is gone
                break

    def path(self, name):
        """Where the run's file ``name`` goes (a picture, a model)."""
        return self.folder / name

    def checkpoint(self, phase, layer=None):
        """A training loop's checkpoint file, named by what it holds: ``checkpoints/SdA-pretraining-layer0.pkl``."""
        name = f"{self.tutorial}-{phase}" + ("" if layer is None else f"-layer{layer}")
        path = self.folder / "checkpoints" / f"{name}.pkl"
        if (self._earlier or {}).get("status") == "done" and not path.is_file():  # deleted: the way to train it again
            print(f"note: {path} is missing: the finished run in {self.folder} trains that loop again")
        return path

    def save(self):
        """Write ``results.json`` (atomically) with the record as it is now."""
        save_json(self.record, self.folder / "results.json")
