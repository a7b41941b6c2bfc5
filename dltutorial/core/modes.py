"""The compile modes: one switch picks the backend every tutorial compiles with.

* ``c``     PyTensor's C virtual machine, calling BLAS for the matrix products;
* ``numba`` PyTensor 3's own default, works on a plain ``pip install``;
* ``jax``   XLA through JAX (``pip install -e .[jax]``), CPU or GPU.

A tutorial's entry function takes ``mode=`` (``--mode`` on the command line)
and hands it to everything that compiles; nothing reads a current mode from
a global.  The default is ``c`` when PyTensor's C code has a BLAS to call
(see :mod:`dltutorial.engine.configure`), ``numba`` otherwise.
"""

import importlib
import importlib.util
import os

import pytensor
from pytensor.compile.mode import Mode
from pytensor.link.vm import VMLinker

from .. import engine
from .errors import TutorialError

# our mode -> PyTensor's linker.  The C one is PyTensor's "cvm" keeping every intermediate array between
# calls (allow_gc=False): freed, an array of tens of megabytes comes fresh from the operating system at the
# next call and its first writes fault its pages in; kept, the ops write into last call's arrays
# (docs/compile_modes.md has the figures).
LINKERS = {"c": VMLinker(allow_gc=False, use_cloop=True, c_thunks=True), "numba": "numba", "jax": "jax"}
MODE_NAMES = tuple(LINKERS)
FLOAT_TYPES = ("float32", "float64")


class ModeError(TutorialError, ValueError):
    """A compile mode or float type that does not exist or cannot run here."""


def default_mode():
    """``c`` when PyTensor has a C compiler and its C code a BLAS to call, else ``numba``."""
    return "c" if pytensor.config.cxx and engine.have_blas() else "numba"


def available_modes():
    """The modes whose backend is installed, in the order of MODE_NAMES."""
    return [name for name in MODE_NAMES if name != "jax" or importlib.util.find_spec("jax") is not None]


def check_mode(name):
    """Return ``name``, or the default mode for None, if it can run here; else raise a one-line ModeError."""
    if name is None:
        return default_mode()
    if name not in MODE_NAMES:
        raise ModeError(f"unknown mode {name!r}: choose one of {', '.join(MODE_NAMES)}")
    if name not in available_modes():
        raise ModeError(f"mode {name!r} needs JAX, which is not installed: pip install -e .[jax], or use --mode c")
    if name == "c" and not pytensor.config.cxx:
        raise ModeError("mode 'c' needs a C compiler, and PyTensor found none (its cxx setting is empty): install "
                        "g++, or use --mode numba")
    return name


def check_float_type(floatX):
    """Return ``floatX`` if it is float32 or float64; else raise a one-line ModeError."""
    if floatX not in FLOAT_TYPES:
        raise ModeError(f"unknown floatX {floatX!r}: choose float32 or float64")
    return floatX


def compile_mode(name=None):
    """PyTensor's Mode for our mode ``name``: its linker, ``fast_run`` and the engine's rewrites for it.

    Also what a ``pytensor.scan`` inside a tutorial's graph is given
    (``scan(..., mode=compile_mode(mode))``): scan compiles its inner graph
    (a Gibbs chain, an LSTM step) with the mode it was given, by default
    PyTensor's own.
    """
    name = check_mode(name)
    engine.configure_pytensor()
    if name == "jax":
        _configure_jax()
    return Mode(linker=LINKERS[name], optimizer="fast_run").including(*engine.rewrite_tags(name))


def use_jax_64_bit_types_for(variables):
    """Turn JAX's 64-bit types on if the graph of ``variables`` computes in float64; else leave them as they are.

    Called with a compiled function's graph (the rewrites may add a float64
    sum), before its first call, where JAX traces it.

    JAX computes float64 in float32 unless ``jax_enable_x64`` is on, a
    setting of the whole process (PyTensor's JAX dispatch module sets it to
    ``floatX == 'float64'`` when first imported, which :func:`compile_mode`
    does first).  So only a graph that holds a float64 value (or sums in
    float64) turns it on, and
    it stays on for the rest of the process, as docs/compile_modes.md says.
    """
    import jax

    from pytensor.graph.traversal import ancestors

    def float64(variable):  # a float64 value, or one summed in float64 (a mean of booleans)
        return "float64" in (getattr(variable.type, "dtype", None), getattr(getattr(variable.owner, "op", None),
                                                                              "acc_dtype", None))

    if any(float64(variable) for variable in ancestors(variables)):
        jax.config.update("jax_enable_x64", True)


def _configure_jax():
    """PyTensor's JAX dispatch imported, our ops' JAX code registered, full-precision float32 matrix products.

    On recent NVIDIA GPUs JAX multiplies float32 matrices in TF32 (10-bit
    mantissa) by default: the tutorials' numbers would drift from the C
    backend's at 1e-4 after a few steps.  We ask for full float32 precision,
    as Theano's cuBLAS SGEMM gave, unless the user set
    ``JAX_DEFAULT_MATMUL_PRECISION`` (e.g. ``tensorfloat32`` for speed).
    """
    import jax

    from .convolution import register_jax_implementation as register_convolution_in_jax
    from .rng_mrg import register_jax_implementation as register_mrg_in_jax

    importlib.import_module("pytensor.link.jax.dispatch")  # its first import resets jax_enable_x64
    register_convolution_in_jax()
    register_mrg_in_jax()
    if "JAX_DEFAULT_MATMUL_PRECISION" not in os.environ:
        jax.config.update("jax_default_matmul_precision", "highest")
