"""The numba mode's float32 ``tanh`` (:mod:`dltutorial.engine.vector_math`) against PyTensor's and the c mode's.

``python -m bench.numba_tanh --data DATA`` times, in one process: ``tanh(x)``
and ``tanh(x + b)`` of LeNet's first feature maps (500 x 20 x 24 x 24 float32)
in c, in numba with PyTensor's ``tanh`` (the engine's rewrite excluded) and in
numba with the engine's, against ``numpy.tanh``.  Medians of 7 timings of 3
calls; the last line names the machine.
"""

import argparse
import statistics
import timeit

import numpy
import pytensor
import pytensor.tensor as pt

from dltutorial.core.modes import compile_mode

from .machine import blas_libraries, cpu_model, openmp_threads

WITHOUT = "dltutorial_vectorised_tanh"  # the engine's rewrite, by its name in registry.py


def median_ms(call, number):
    """Milliseconds a call: the median of 7 timings of ``number`` calls."""
    return 1e3 * statistics.median(timeit.repeat(call, number=number, repeat=7)) / number


def main(argv=None):
    argparse.ArgumentParser(prog="python -m bench.numba_tanh", description=__doc__.split("\n")[0]).parse_args(argv)
    modes = {"c": compile_mode("c"), "numba, PyTensor's tanh": compile_mode("numba").excluding(WITHOUT),
             "numba, the engine's": compile_mode("numba")}
    x, b = pt.tensor4("x", dtype="float32"), pt.vector("b", dtype="float32")
    rng = numpy.random.RandomState(0)
    maps, bias = rng.randn(500, 20, 24, 24).astype("float32"), rng.rand(20).astype("float32")
    for name, expr in (("tanh(x)", pt.tanh(x)), ("tanh(x + b)", pt.tanh(x + b.dimshuffle("x", 0, "x", "x")))):
        row = {}
        for label, mode in modes.items():
            fn = pytensor.function([x, b], expr, mode=mode, on_unused_input="ignore")
            fn(maps, bias)
            row[label] = median_ms(lambda: fn(maps, bias), 3)
        row["numpy.tanh"] = median_ms(lambda: numpy.tanh(maps), 3)
        print(name, "ms a call:", ", ".join(f"{label} {ms:.2f}" for label, ms in row.items()), flush=True)
    blas = "; ".join(f"{b['library']} {b['version']} ({b['kernel']}, {b['threads']} threads)" for b in blas_libraries())
    print(f"{cpu_model()}; BLAS: {blas}; OpenMP: {openmp_threads()} threads")


if __name__ == "__main__":
    main()
