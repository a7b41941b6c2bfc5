"""What machine produced a figure: the CPU, the BLAS libraries with their versions, kernels and threads, its copy speed.

Benchmarks and reproduction runs record this beside their figures, so that
figures from different CPUs or thread counts are never compared as equals.
"""

import contextlib
import os
import platform
import statistics
import timeit

import numpy
import pytensor
import threadpoolctl

from dltutorial.engine.configure import configure_pytensor


def cpu_model():
    """The CPU's model name with its family and model numbers (a VM may hide the full name)."""
    fields = {}
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    if "model name" not in fields:
        return platform.processor() or platform.machine()
    return f"{fields['model name']} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"


def blas_libraries():
    """Every BLAS loaded in this process: library file, version, kernel and thread count (threadpoolctl).

    numpy and SciPy bring their own OpenBLAS; PyTensor's C code links the
    one in ``pytensor.config.blas__ldflags`` (see :mod:`dltutorial.engine.configure`).
    """
    return [{"library": os.path.basename(info["filepath"]), "version": info.get("version"),
             "kernel": info.get("architecture"), "threads": info["num_threads"]}
            for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


def openmp_threads():
    """Threads of the OpenMP runtime loaded in this process (the batch-1 row-wise ops share rows among them), or None.

    The runtime loads with the first compiled module that uses it: ask after compiling.
    """
    pools = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "openmp"]
    return max(pools) if pools else None


def c_blas():
    """The BLAS PyTensor's C code links, as ``blas__ldflags`` names it (``-lopenblas``).

    Asks :func:`~dltutorial.engine.configure.configure_pytensor` first, which the
    first compile would call: before it, the flag is PyTensor's own default.
    """
    configure_pytensor()
    return " ".join(flag for flag in pytensor.config.blas__ldflags.split() if flag.startswith("-l")) or "none"


def copy_seconds(nbytes, repeats=5):
    """Seconds to copy an array of ``nbytes`` bytes once (numpy, one thread): median of ``repeats`` timings.

    A training step must at least read each weight and write it back once,
    the traffic of one copy; an array of the step's own size lands in the same
    cache level (or in memory) that its weights do.
    """
    source = numpy.ones(nbytes, dtype=numpy.uint8)
    target = numpy.empty_like(source)
    copies = max(1, int(2e8 // max(nbytes, 1)))  # some 0.2 GB a timing, so that small copies average out
    numpy.copyto(target, source)
    times = []
    for _ in range(repeats):
        start = timeit.default_timer()
        for _ in range(copies):
            numpy.copyto(target, source)
        times.append((timeit.default_timer() - start) / copies)
    return statistics.median(times)
