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
import pytensor.scalar as ps
import pytensor.scalar.math as ps_math
import pytensor.tensor as pt
from pytensor.compile import optdb
from pytensor.compile.mode import Mode
from pytensor.graph import node_rewriter
from pytensor.graph.rewriting.basic import in2out
from pytensor.tensor.rewriting.ofg import inline_ofg_node
from pytensor.tensor.elemwise import CAReduce, Elemwise
from pytensor.tensor.exceptions import NotScalarConstantError
from pytensor.tensor.random.basic import BinomialRV, uniform
from pytensor.tensor.special import LogSoftmax, Softmax
from pytensor.tensor.type_other import NoneTypeT


@node_rewriter([Softmax, LogSoftmax])
def inline_softmax(fgraph, node):
    """Replace a Softmax/LogSoftmax node by its inner graph of C-compiled elementwise ops.

    In PyTensor 3.0 these ops are symbolic wrappers that the C backend runs
    through Python: at batch size 1 the LogSoftmax of a 1x10 matrix took
    0.15 ms, 11 % of an SdA finetuning step.  Inlined, they fuse into C loops.
    """
    return inline_ofg_node(node)


optdb["specialize"].register("dltutorial_inline_softmax", inline_softmax, "dltutorial_c")

# elementwise functions that gcc vectorises through libmvec in a contiguous one-input loop
VECTOR_MATH_OPS = (ps.Tanh, ps.Exp, ps.Log, ps.Log1p, ps_math.Sigmoid)


@node_rewriter([Elemwise])
def split_vector_math_from_fusion(fgraph, node):
    """Split ``f(g(a, b, ...))``, a fused loop ending in tanh/exp/log/sigmoid, into ``g`` then ``f``.

    PyTensor's C code runs a one-input elementwise op over a contiguous
    array in a plain loop, which gcc vectorises with libmvec; a fused loop
    of several inputs uses strided pointers, and each ``tanhf`` is a scalar
    call.  ``tanh(x + b)`` on 100x1000 floats: 1.44 ms fused, 0.08 ms for
    the tanh alone.  The extra pass over memory costs far less.
    """
    composite = node.op.scalar_op
    if not isinstance(composite, ps.Composite) or len(node.inputs) < 2 or len(node.outputs) != 1:
        return None
    last = composite.fgraph.outputs[0].owner
    if last is None or not isinstance(last.op, VECTOR_MATH_OPS) or last.inputs[0] in composite.fgraph.inputs:
        return None
    before = Elemwise(ps.Composite(composite.fgraph.inputs, [last.inputs[0]]))(*node.inputs)
    return [Elemwise(last.op)(before)]


# after elementwise fusion (position 49), which would fuse the two parts back
optdb.register("dltutorial_split_vector_math", in2out(split_vector_math_from_fusion), "dltutorial_c",
               position=49.05)


@node_rewriter([BinomialRV])
def binomial_one_as_uniform_below_p(fgraph, node):
    """Draw ``binomial(n=1, p)`` (the dA's masking noise, the RBM's samples) as ``uniform() < p``.

    The same distribution, far cheaper: numpy's binomial sampler takes 36 ns
    a draw, a uniform and a comparison 2 ns, and the RBM's PCD-15 step draws
    385,000 values (14 ms of binomials).  JAX needs it too: PyTensor samples
    JAX binomials through NumPyro, whose sampler fails to trace with 64-bit types.
    """
    rng, size, n, p = node.inputs
    try:
        if pt.get_underlying_scalar_constant_value(n) != 1:
            return None
    except NotScalarConstantError:
        return None
    if isinstance(size.type, NoneTypeT):
        size = p.shape
    next_rng, draws = uniform.make_node(rng, size, pt.constant(0.0, dtype=p.dtype),
                                        pt.constant(1.0, dtype=p.dtype)).outputs
    return [next_rng, pt.cast(pt.lt(draws, p), node.outputs[1].dtype)]


# every mode includes "dltutorial_random"; the tag "jax" also reaches a scan's inner graph under
# JAX, which PyTensor rewrites with its own query
optdb["specialize"].register("dltutorial_binomial_one_as_uniform_below_p", binomial_one_as_uniform_below_p,
                             "dltutorial_random", "jax")


@node_rewriter([CAReduce])
def careduce_then_cast(fgraph, node):
    """Give JAX a sum accumulated in ``acc_dtype`` and an explicit cast to the output dtype.

    PyTensor sums float32 in a float64 accumulator; its JAX translation
    returns the accumulator's dtype, so a float32 graph handed float64
    values to later ops (JAX warns it will refuse such a scatter) and
    returned float64 results.  The cast makes the output float32 again.
    """
    acc_dtype = getattr(node.op, "acc_dtype", None)
    out_dtype = node.outputs[0].dtype
    if acc_dtype is None or acc_dtype == out_dtype:
        return None
    return [pt.cast(node.op.clone(dtype=acc_dtype)(*node.inputs), out_dtype)]


# after fusion, so that no later rewrite folds the cast back into the sum's dtype
optdb.register("dltutorial_careduce_then_cast", in2out(careduce_then_cast), "dltutorial_jax", "jax",
               position=49.2)

MODES = {
    "c": lambda: Mode(linker="cvm", optimizer="fast_run").including("dltutorial_c", "dltutorial_random"),
    "numba": lambda: Mode(linker="numba", optimizer="fast_run").including("dltutorial_random"),
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
    return Mode(linker="jax", optimizer="fast_run").including("dltutorial_jax", "dltutorial_random")


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
