"""``make reproduce``'s runs: one tutorial with one seed in a run folder of its own, each a task on a Dask cluster.

A run's folder is named by what it runs, ``<runs>/<tutorial>-seed<seed>[-quick]/``,
so a run that starts again (``make reproduce`` after Ctrl-C, or the task of
a lost worker, which Dask's scheduler gives to another worker) finds its
folder and resumes after its last finished epoch, wherever that folder can be
seen: this machine, or a file system the cluster's machines share.  A finished
run returns its record (what the entry function wrote into ``results.json``,
with the machine, the seed and the command); the client keeps it
(:mod:`bench.reproduction_report`).

The cluster is Dask's (``distributed``): by default a ``LocalCluster`` on
this machine with one single-threaded worker process per core, BLAS and
OpenMP held to one thread each, so that the runs do not slow one another
down; or any running cluster, by its scheduler's address.
"""

import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytensor

from dltutorial.core.files import save_json

from .machine import c_blas, cpu_model

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Tee:
    """A stream that writes to several streams (the worker's output and the run's log file)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()

    def isatty(self):
        return False


def machine():
    """The CPU (model, family and model numbers), the cores, the C backend's BLAS and the threads of it and OpenMP."""
    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "1 (make reproduce's default)")
    omp = os.environ.get("OMP_NUM_THREADS", f"{len(os.sched_getaffinity(0))} (one per core)")
    return f"{cpu_model()}, {os.cpu_count()} cores, BLAS {c_blas()}, {blas_threads} BLAS thread(s), OpenMP threads {omp}"


def seed_label(seed, quick):
    """``seed<seed>[-quick]``: what tells one tutorial's runs apart, in their folders', tasks' and records' names."""
    return f"seed{'none' if seed is None else seed}{'-quick' if quick else ''}"


def run_name(tutorial, seed, quick):
    """One run's name, its folder's and its Dask task's: a run started again finds its folder by it."""
    return f"{tutorial}-{seed_label(seed, quick)}"


def run_seed(tutorial, seed, *, quick, dataset, mode, floatX, runs):
    """Run (or resume) ``tutorial`` with ``seed`` in its run folder; return the run's record.

    A task on a worker: the tutorial goes by name (its :class:`~bench.reproduce.Reproduction` is looked up where it
    runs).  A run whose folder says it finished is not run again: its record is returned.
    """
    from .reproduce import reproduction_named

    reproduction = reproduction_named(tutorial)
    folder = Path(runs) / run_name(reproduction.name, seed, quick)
    status = folder / "reproduce.json"
    earlier = json.loads(status.read_text()) if status.exists() else None
    if earlier and earlier["status"] == "done":
        return earlier
    resumed = (folder / "results.json").exists()
    kwargs = reproduction.arguments(seed, quick, dataset)
    info = {"tutorial": reproduction.name, "seed": seed, "quick": quick, "status": "running", "mode": mode,
            "floatX": floatX, "machine": machine(), "pytensor": pytensor.__version__,
            "started": time.strftime("%Y-%m-%d %H:%M"), "command": reproduction.command(seed, quick, dataset)}
    folder.mkdir(parents=True, exist_ok=True)
    save_json(info, status)
    print(f"=== {reproduction.name} seed {seed}: {'resuming' if resumed else 'running'} in {folder}", flush=True)
    with open(folder / "log.txt", "a", buffering=1) as log, contextlib.redirect_stdout(Tee(sys.stdout, log)), \
            contextlib.redirect_stderr(Tee(sys.stderr, log)):
        if resumed:
            print(f"=== resuming {folder}")
        reproduction.run(**kwargs, output_folder=folder, mode=mode, floatX=floatX)
    results = json.loads((folder / "results.json").read_text())
    info.update(status="done", finished=time.strftime("%Y-%m-%d %H:%M"), resumed=resumed,
                seconds=float(reproduction.seconds(results)), results=results)
    save_json(info, status)
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)  # done: the results are what counts now
    return info


def local_cluster(workers):
    """A Dask ``LocalCluster`` on this machine: ``workers`` worker processes of one thread, BLAS and OpenMP pinned."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, env=ONE_THREAD,
                        dashboard_address=None)


def run_on_cluster(tasks, *, scheduler=None, workers=None, on_record):
    """Run ``tasks`` (``(tutorial, seed, run_seed's keyword arguments)``) as Dask tasks; ``on_record`` gets each record.

    ``scheduler``: a running cluster's address (``tcp://host:8786``) or its
    scheduler file; None starts a local cluster of ``workers`` processes
    (default: one per core).  Returns the failures, as ``[(task key, error)]``.
    """
    from distributed import Client, as_completed

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(local_cluster(workers or len(os.sched_getaffinity(0))))
            client = stack.enter_context(Client(cluster))
        elif Path(scheduler).is_file():
            client = stack.enter_context(Client(scheduler_file=scheduler))
        else:
            client = stack.enter_context(Client(scheduler))
        print(f"Dask cluster: {client.dashboard_link or client.scheduler.address}, "
              f"{len(client.scheduler_info()['workers'])} worker(s)", flush=True)
        futures = [client.submit(run_seed, tutorial, seed, **kwargs, pure=False,
                                 key=run_name(tutorial, seed, kwargs["quick"]))
                   for tutorial, seed, kwargs in tasks]
        failures = []
        for future in as_completed(futures):
            try:
                on_record(future.result())
            except Exception as error:  # one tutorial's failure does not stop the others
                failures.append((future.key, f"{type(error).__name__}: {error}"))
                print(f"error: {future.key} failed: {type(error).__name__}: {error}", flush=True)
    return failures
