"""Compile modes, floatX and compiled functions with default arguments.

Every tutorial compiles its graphs through :func:`compile_function`, so one
switch (``mode=`` on an entry point, ``--mode`` on the command line, or
:func:`set_mode`) picks the backend for all of them:

* ``c``     PyTensor's C virtual machine, calling BLAS for the matrix products;
* ``numba`` PyTensor 3's own default, works on a plain ``pip install``;
* ``jax``   XLA through JAX (``pip install -e .[jax]``), CPU or GPU.

The C backend needs a BLAS library to be fast.  A pip install of PyTensor
finds none, so at import we point PyTensor at a system OpenBLAS when one is
installed (``make`` installs Debian's ``libopenblas-dev``).  The default mode
is ``c`` when a BLAS was found and ``numba`` otherwise: measured on the dA
step of the SdA tutorial (batch size 1, float32) the C VM with OpenBLAS takes
0.66 ms a call, Numba 1.8 ms, the C VM without BLAS 12.6 ms.

On x86-64 Linux the C code is also compiled to call glibc's vector maths
library (libmvec) for ``tanh``, ``exp``, ``log`` ...: see :func:`_configure_vector_math`.
"""

import contextlib
import functools
import importlib.util
import os
import platform
import sys
import traceback
from pathlib import Path

import numpy
import pytensor
from pytensor.compile.mode import Mode

from . import rewrites  # noqa: F401  (registers the rewrites our modes include)


MODES = {
    "c": lambda: Mode(linker="cvm", optimizer="fast_run").including("dltutorial_shapes", "dltutorial_c",
                                                                     "dltutorial_random"),
    "numba": lambda: Mode(linker="numba", optimizer="fast_run").including("dltutorial_shapes", "dltutorial_random"),
    "jax": lambda: _jax_mode(),
}
FLOAT_TYPES = ("float32", "float64")


def _jax_mode():
    """JAX's mode, with 64-bit types and full-precision float32 matrix products.

    JAX computes float64 graphs in float32 unless ``jax_enable_x64`` is on.
    PyTensor's JAX dispatch module sets that flag to ``floatX == 'float64'``
    when it is first imported, so it is imported before the flag is set.
    On recent NVIDIA GPUs JAX multiplies float32 matrices in TF32 (10-bit
    mantissa) by default: the tutorials' numbers would drift from the C
    backend's at 1e-4 after a few steps.  We ask for full float32 precision,
    as Theano's cuBLAS SGEMM gave, unless the user set
    ``JAX_DEFAULT_MATMUL_PRECISION`` (e.g. ``tensorfloat32`` for speed).
    """
    import jax

    importlib.import_module("pytensor.link.jax.dispatch")  # its first import resets jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    if "JAX_DEFAULT_MATMUL_PRECISION" not in os.environ:
        jax.config.update("jax_default_matmul_precision", "highest")
    return Mode(linker="jax", optimizer="fast_run").including("dltutorial_shapes", "dltutorial_jax",
                                                             "dltutorial_random")


class ModeError(ValueError):
    """A compile mode that does not exist or cannot run here."""


OPENBLAS_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
                 "/usr/local/lib", "/opt/homebrew/opt/openblas/lib", "/usr/local/opt/openblas/lib",
                 os.path.join(sys.prefix, "lib"))


def _find_blas_ldflags():
    """Return linker flags for an OpenBLAS we can link against, or '' when there is none.

    Linking needs the development library (``libopenblas.so``, from Debian's
    ``libopenblas-dev`` or Homebrew's ``openblas``), not only the runtime one.
    """
    if "blas__ldflags" in os.environ.get("PYTENSOR_FLAGS", ""):
        return None  # the user chose; leave PyTensor's setting alone
    for folder in OPENBLAS_DIRS:
        for name in ("libopenblas.so", "libopenblas.dylib"):
            if (Path(folder) / name).exists():
                return f"-L{folder} -Wl,-rpath,{folder} -lopenblas"
    return ""


def _configure_blas():
    flags = _find_blas_ldflags()
    if flags is None:
        return bool(pytensor.config.blas__ldflags)
    if flags:
        pytensor.config.blas__ldflags = flags
    return bool(flags)


HAVE_BLAS = _configure_blas()


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

# glibc's math.h declares the SIMD (libmvec) variants of tanh, exp, log ... only
# under __FAST_MATH__; declaring them, without -ffast-math's other licences
# (no finite-math or reassociation assumptions), lets gcc vectorise the
# elementwise loops.  Measured on 1.44M float32 values: tanh 16.5 -> 1.25 ms,
# exp 2.8 -> 0.5 ms; libmvec is accurate to 4 ulp.
VECTOR_MATH_FLAGS = "-D__FAST_MATH__ -fno-math-errno"


def _configure_vector_math():
    """Compile PyTensor's C code with libmvec, unless the user chose their own C flags."""
    if "gcc__cxxflags" in os.environ.get("PYTENSOR_FLAGS", "") or pytensor.config.gcc__cxxflags:
        return
    if sys.platform.startswith("linux") and platform.machine() == "x86_64" and platform.libc_ver()[0] == "glibc":
        pytensor.config.gcc__cxxflags = VECTOR_MATH_FLAGS


_configure_vector_math()
DEFAULT_MODE = "c" if HAVE_BLAS else "numba"
_current_mode = DEFAULT_MODE


def available_modes():
    """The modes whose backend is installed, in the order of MODES."""
    found = ["c", "numba"]
    if importlib.util.find_spec("jax") is not None:
        found.append("jax")
    return found


def check_mode(name):
    """Return ``name`` if it is a usable mode, else raise a one-line ModeError."""
    if name not in MODES:
        raise ModeError(
            f"unknown mode {name!r}: choose one of {', '.join(MODES)}"
        )
    if name not in available_modes():
        raise ModeError(
            f"mode {name!r} needs JAX, which is not installed: "
            "pip install -e .[jax], or use --mode c"
        )
    return name


def scan_mode():
    """The current mode, for ``pytensor.scan(..., mode=scan_mode())``.

    Scan compiles its inner graph (a Gibbs chain, an LSTM step) with the
    mode it was given, by default PyTensor's C VM without our rewrites.
    """
    return MODES[_current_mode]()


def set_mode(name):
    """Make ``name`` the mode used by every function compiled from now on."""
    global _current_mode
    _current_mode = check_mode(name)


def get_mode():
    """The name of the mode functions are compiled with now."""
    return _current_mode


@contextlib.contextmanager
def settings(mode=None, floatX=None):
    """Compile with ``mode`` and build graphs in ``floatX`` inside the block."""
    global _current_mode
    previous = _current_mode
    if floatX is not None and floatX not in FLOAT_TYPES:
        raise ModeError(f"unknown floatX {floatX!r}: choose float32 or float64")
    _current_mode = check_mode(mode) if mode is not None else previous
    try:
        with pytensor.config.change_flags(floatX=floatX or pytensor.config.floatX):
            yield
    finally:
        _current_mode = previous


def entry_point(func):
    """Give a tutorial's entry function the keyword-only ``mode`` and ``floatX``.

    The tutorials build their graphs in ``floatX`` (default float32, as the
    tutorial was run on GPUs) and compile them with ``mode``.
    """

    @functools.wraps(func)
    def run(*args, mode=None, floatX="float32", **kwargs):
        with settings(mode=mode, floatX=floatX):
            return func(*args, **kwargs)

    return run


class TutorialFunction:
    """A compiled PyTensor function that also takes default arguments.

    Theano let ``theano.Param(x, default=v)`` give an input a default;
    PyTensor 3 dropped input defaults.  This wrapper restores them, accepting
    positional and keyword arguments as the original did.  It converts each
    argument to its input's dtype once and calls the compiled function with
    ``trust_input``, which skips PyTensor's per-call checks: at batch size 1
    that overhead is a noticeable part of a step.
    """

    def __init__(self, fn, defaults=None):
        self.fn = fn
        self.names = [i.name for i in fn.maker.inputs if not i.shared]
        self.dtypes = [i.variable.type.dtype for i in fn.maker.inputs if not i.shared]
        self.defaults = dict(defaults or {})
        unknown = set(self.defaults) - set(self.names)
        if unknown:
            raise TypeError(f"defaults for unknown inputs: {sorted(unknown)}")
        fn.trust_input = True

    def __call__(self, *args, **kwargs):
        if len(args) > len(self.names):
            raise TypeError(
                f"{self.fn.name or 'function'} takes {len(self.names)} arguments "
                f"({', '.join(self.names)}), got {len(args)}"
            )
        values = list(args)
        for name in self.names[len(args):]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in self.defaults:
                values.append(self.defaults[name])
            else:
                raise TypeError(f"missing argument {name!r}")
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(kwargs)}")
        return self.fn(
            *[numpy.asarray(v, dtype=d) for v, d in zip(values, self.dtypes)]
        )


class JaxTutorialFunction(TutorialFunction):
    """A TutorialFunction compiled by JAX that keeps the shared variables it reads on the device.

    PyTensor hands a JAX function the values of its shared variables as they
    are stored; a numpy array (the data set, or codes just set with
    ``set_value``) would be copied to the device at every call: 45 ms for
    MNIST's training set on this CPU, per minibatch.  Before each call, any
    numpy value is replaced by a JAX array (on the GPU when there is one), once.
    Updated parameters come back from JAX as JAX arrays already.

    JAX traces the graph at the first call; a graph it cannot trace (a slice
    with a symbolic start, say) fails there, deep inside JAX: that failure
    becomes a one-line ModeError.
    """

    def __init__(self, fn, defaults=None):
        import jax

        super().__init__(fn, defaults)
        self.shared_storage = [c.storage for i, c in zip(fn.maker.inputs, fn.input_storage) if i.shared]
        self.device_put = jax.device_put
        self.traced = False

    def __call__(self, *args, **kwargs):
        for storage in self.shared_storage:
            if isinstance(storage[0], numpy.ndarray):
                storage[0] = self.device_put(storage[0])
        if self.traced:
            return super().__call__(*args, **kwargs)
        try:
            result = super().__call__(*args, **kwargs)
        except (TypeError, ValueError, IndexError, NotImplementedError) as error:
            if isinstance(error, ModeError) or not _raised_inside_jax(error):
                raise
            raise ModeError(
                f"the jax backend cannot trace this graph ({_first_line(error)}); use --mode c or --mode numba"
            ) from error
        self.traced = True
        return result


def _raised_inside_jax(error):
    """Whether ``error`` came from JAX's tracing (not from our argument checks)."""
    frames = traceback.extract_tb(error.__traceback__)
    return any(f"{os.sep}jax{os.sep}" in frame.filename or "jax_funcified" in frame.name for frame in frames)


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def compile_function(inputs, outputs, updates=None, givens=None, defaults=None,
                     name=None, mode=None):
    """Compile a graph with the current mode (or ``mode``); see TutorialFunction.

    When a backend cannot translate an op, raise a one-line ModeError naming
    the op and the backend instead of PyTensor's long traceback.
    """
    mode = check_mode(mode or _current_mode)
    try:
        fn = pytensor.function(
            inputs, outputs, updates=updates, givens=givens, name=name,
            mode=MODES[mode](),
        )
    except NotImplementedError as error:
        raise ModeError(f"the {mode} backend cannot compile this graph ({_first_line(error)}); use --mode c") from error
    if mode == "jax":
        return JaxTutorialFunction(fn, defaults)
    return TutorialFunction(fn, defaults)
