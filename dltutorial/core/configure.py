"""Configuring PyTensor for the tutorials: the one place where we change its settings.

Importing dltutorial changes nothing.  :func:`configure_pytensor` does three
things, once per process, and :func:`dltutorial.core.modes.compile_mode` calls
it before it builds a mode, so every graph compiled through our modes is
compiled with them:

* **BLAS.**  The C backend needs a BLAS library to be fast, and a pip install
  of PyTensor finds none.  We point ``blas__ldflags`` at a system OpenBLAS
  when one is installed (``make`` installs Debian's ``libopenblas-dev``),
  unless the user set ``blas__ldflags`` in ``PYTENSOR_FLAGS``.  Measured on
  the dA step of the SdA tutorial (batch size 1, float32): the C VM with
  OpenBLAS takes 0.66 ms a call, Numba 1.8 ms, the C VM without BLAS 12.6 ms.
* **Vector maths.**  On x86-64 Linux with glibc, the C code is compiled to
  call glibc's vector maths library (libmvec) for ``tanh``, ``exp``, ``log``
  ..., unless the user chose their own ``gcc__cxxflags``.
* **Our graph rewrites** (:mod:`dltutorial.core.rewrites`) are registered
  under tags that only our modes include.

:func:`use_one_blas_thread_by_default` is the command line's business: it
sets an environment variable, before anything is compiled.
"""

import functools
import os
import platform
import sys
from pathlib import Path

import pytensor

from .rewrites import register_rewrites

OPENBLAS_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
                 "/usr/local/lib", "/opt/homebrew/opt/openblas/lib", "/usr/local/opt/openblas/lib",
                 os.path.join(sys.prefix, "lib"))

# glibc's math.h declares the SIMD (libmvec) variants of tanh, exp, log ... only
# under __FAST_MATH__; declaring them, without -ffast-math's other licences
# (no finite-math or reassociation assumptions), lets gcc vectorise the
# elementwise loops.  Measured on 1.44M float32 values: tanh 16.5 -> 1.25 ms,
# exp 2.8 -> 0.5 ms; libmvec is accurate to 4 ulp.
VECTOR_MATH_FLAGS = "-D__FAST_MATH__ -fno-math-errno"


def _user_set(flag):
    return flag in os.environ.get("PYTENSOR_FLAGS", "")


def find_openblas_ldflags():
    """Linker flags for an OpenBLAS we can link against, or '' when there is none.

    Linking needs the development library (``libopenblas.so``, from Debian's
    ``libopenblas-dev`` or Homebrew's ``openblas``), not only the runtime one.
    """
    for folder in OPENBLAS_DIRS:
        for name in ("libopenblas.so", "libopenblas.dylib"):
            if (Path(folder) / name).exists():
                return f"-L{folder} -Wl,-rpath,{folder} -lopenblas"
    return ""


def have_blas():
    """Whether PyTensor's C code will call a BLAS library (the user's, or an OpenBLAS we found)."""
    return bool(pytensor.config.blas__ldflags) if _user_set("blas__ldflags") else bool(find_openblas_ldflags())


@functools.cache
def configure_pytensor():
    """Set PyTensor's BLAS and C flags and register our rewrites; once per process (see the module's text)."""
    if not _user_set("blas__ldflags") and find_openblas_ldflags():
        pytensor.config.blas__ldflags = find_openblas_ldflags()
    if (not _user_set("gcc__cxxflags") and not pytensor.config.gcc__cxxflags and sys.platform.startswith("linux")
            and platform.machine() == "x86_64" and platform.libc_ver()[0] == "glibc"):
        pytensor.config.gcc__cxxflags = VECTOR_MATH_FLAGS
    register_rewrites()


def use_one_blas_thread_by_default():
    """Give the C backend's OpenBLAS one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise.

    Called by the command line (``make train-*``, ``make reproduce``) before
    anything is compiled: OpenBLAS reads the variable when PyTensor's first
    BLAS module loads it.  Why one: on this project's 2-core machines the
    batch-1 steps with two threads ran either 15 % faster or 3-4x slower than
    with one, switching between the two within a run (the two threads wait
    for each other, and a virtual core is not always there to be waited
    for); with one thread they ran at the same speed every time.  See
    docs/benchmarks.md for the figures.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
