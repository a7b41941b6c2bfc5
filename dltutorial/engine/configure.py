"""Configuring PyTensor for the tutorials: the one place where we change its settings.

Importing dltutorial changes nothing.  :func:`configure_pytensor` does two
things, once per process, and :func:`dltutorial.core.modes.compile_mode` calls
it before it builds a mode, so every graph compiled through our modes is
compiled with them:

* **BLAS.**  The C backend needs a BLAS library to be fast, and PyTensor
  finds none on its own.  We link PyPI's ``scipy-openblas32`` (a dependency
  of dltutorial, so ``pip install`` brings it), unless the user set
  ``blas__ldflags`` in ``PYTENSOR_FLAGS``.  Why this one and not the
  system's: a distribution's OpenBLAS can be older than the CPU, and falls
  back to its slowest, generic kernels on a CPU it does not know, where the
  recent wheel picks kernels made for it (docs/benchmarks.md, "Why the code
  is shaped as it is", has the measurements).
* **Vector maths.**  On x86-64 Linux with glibc, the C code is compiled to
  call glibc's vector maths library (libmvec) for ``tanh``, ``exp``, ``log``
  ..., unless the user chose their own ``gcc__cxxflags``.

:func:`use_one_blas_thread_by_default` is the command line's business: it
sets an environment variable, before anything is compiled.
"""

import functools
import os
import platform
import sys

import pytensor

# glibc's math.h declares the SIMD (libmvec) variants of tanh, exp, log ... only
# under __FAST_MATH__; declaring them, without -ffast-math's other licences
# (no finite-math or reassociation assumptions), lets gcc vectorise the
# elementwise loops, many times faster for tanh and exp.  libmvec is slightly
# less precise than the scalar functions (docs/benchmarks.md, "Why the code is
# shaped as it is", has the measurements and the bound).
VECTOR_MATH_FLAGS = "-D__FAST_MATH__ -fno-math-errno"


def _user_set(flag):
    return flag in os.environ.get("PYTENSOR_FLAGS", "")


# the BLAS routines PyTensor's C code calls, by their Fortran names
BLAS_ROUTINES = [p + name for p in "sdcz" for name in ("gemm", "gemv", "axpy", "copy", "scal", "swap", "symm", "syrk",
                                                      "trsm")] + ["sger", "dger", "sdot", "ddot", "srot", "drot",
                                                                  "cgerc", "cgeru", "zgerc", "zgeru"]


def scipy_openblas32_ldflags():
    """Flags that link PyPI's scipy-openblas32, or '' when it is not installed.

    Its routines are named ``scipy_sgemm_`` ...; PyTensor passes the
    non-``-l``/``-L`` tokens of ``blas__ldflags`` to the compiler, so
    ``-Dsgemm_=scipy_sgemm_`` renames each call at compile time.
    """
    try:
        import scipy_openblas32
    except ImportError:
        return ""
    folder = scipy_openblas32.get_lib_dir()
    renames = " ".join(f"-D{name}_=scipy_{name}_" for name in BLAS_ROUTINES)
    return f"-L{folder} -Wl,-rpath,{folder} -l{scipy_openblas32.get_library()} {renames}"


def have_blas():
    """Whether PyTensor's C code will call a BLAS library (the user's, or scipy-openblas32)."""
    return bool(pytensor.config.blas__ldflags) if _user_set("blas__ldflags") else bool(scipy_openblas32_ldflags())


@functools.cache
def configure_pytensor():
    """Set PyTensor's BLAS and C flags; once per process (see the module's text)."""
    ldflags = scipy_openblas32_ldflags()
    if not _user_set("blas__ldflags") and ldflags:
        pytensor.config.blas__ldflags = ldflags
    if (not _user_set("gcc__cxxflags") and not pytensor.config.gcc__cxxflags and sys.platform.startswith("linux")
            and platform.machine() == "x86_64" and platform.libc_ver()[0] == "glibc"):
        pytensor.config.gcc__cxxflags = VECTOR_MATH_FLAGS


def use_one_blas_thread_by_default():
    """Give the C backend's OpenBLAS one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise.

    Called by the command line (``make train-*``, ``make reproduce``) before
    anything is compiled: OpenBLAS reads the variable when PyTensor's first
    BLAS module loads it.  Why one: on this project's two-core virtual
    machines, two OpenBLAS threads made the batch-1 steps either a little
    faster or several times slower than one, switching between the two
    within a run; with one they ran at the same speed every time.  The
    batch-1 steps no longer call OpenBLAS (:mod:`dltutorial.engine.blas2` does
    their work, with OpenMP's threads, one per core unless
    ``OMP_NUM_THREADS`` says otherwise, and there a second thread pays);
    the minibatch steps still do (docs/benchmarks.md, "Why the code is
    shaped as it is", has the measurements).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
