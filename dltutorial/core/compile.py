"""Compiled functions with default arguments, compiled with the mode they are given.

Every tutorial compiles its graphs through :func:`compile_function`, as the
original called ``theano.function``; the ``mode`` argument (see
:mod:`dltutorial.core.modes`) picks the backend.
"""

import os
import traceback

import numpy
import pytensor
from pytensor.compile import Function

from .. import engine
from .modes import ModeError, check_mode, compile_mode, use_jax_64_bit_types_for


class In:
    """An input with a default value, as the original wrote ``theano.In(learning_rate, value=0.1)``.

    PyTensor 3 dropped input defaults; :func:`compile_function` takes these
    in its ``inputs`` and gives them to the :class:`TutorialFunction` it returns.
    """

    def __init__(self, variable, value):
        self.variable = variable
        self.value = value


class TutorialFunction:
    """A compiled PyTensor function that also takes default arguments.

    Theano let ``theano.In(x, value=v)`` give an input a default;
    PyTensor 3 dropped input defaults.  This wrapper restores them, accepting
    positional and keyword arguments as the original did.  It converts each
    argument to its input's dtype once and calls the compiled function with
    ``trust_input``, which skips PyTensor's per-call checks: at batch size 1
    that overhead is a noticeable part of a step.  ``arguments`` keeps what
    :func:`compile_function` compiled it from, so that a step such as
    :func:`~dltutorial.core.steps.with_cached_codes` can compile a variant.
    """

    def __init__(self, fn, defaults=None, arguments=None):
        self.fn = fn
        self.arguments = arguments
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
    """A TutorialFunction compiled by JAX that copies the shared variables it reads to the device once.

    PyTensor hands a JAX function the values of its shared variables as they
    are stored; a numpy array (the data set, or codes just set with
    ``set_value``) would be copied to the device at every call, which for
    MNIST's training set costs more than a minibatch's step.  So the call
    keeps a device copy of each such array (on the GPU when there is one),
    made the first time it sees that array, and gives it to JAX in the
    array's place for the call only: the shared variable still holds the
    user's numpy array afterwards.  A value the function updates comes back
    from JAX as a JAX array, as PyTensor's JAX backend stores it.

    JAX traces the graph at the first call; a graph it cannot trace (a slice
    with a symbolic start, say) fails there, deep inside JAX: that failure
    becomes a one-line ModeError.
    """

    def __init__(self, fn, defaults=None, arguments=None):
        import jax

        super().__init__(fn, defaults, arguments)
        self.shared_storage = [c.storage for i, c in zip(fn.maker.inputs, fn.input_storage) if i.shared]
        self.device_put = jax.device_put
        self.on_device = {}  # shared input's position -> (its numpy array, that array's device copy)
        self.traced = False

    def __call__(self, *args, **kwargs):
        lent = []
        for position, storage in enumerate(self.shared_storage):
            value = storage[0]
            if isinstance(value, numpy.ndarray):
                if self.on_device.get(position, (None,))[0] is not value:
                    self.on_device[position] = (value, self.device_put(value))
                storage[0] = self.on_device[position][1]
                lent.append((storage, *self.on_device[position]))
        try:
            return self._call(*args, **kwargs)
        finally:
            for storage, value, copy in lent:
                if storage[0] is copy:  # not updated by the call: the user's array again
                    storage[0] = value

    def _call(self, *args, **kwargs):
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


def pytensor_function(fn):
    """The PyTensor ``Function`` inside ``fn``: a :class:`TutorialFunction`, or a wrapper of one with an ``fn``."""
    while not isinstance(fn, Function):
        fn = fn.fn
    return fn


def _raised_inside_jax(error):
    """Whether ``error`` came from JAX's tracing (not from our argument checks)."""
    frames = traceback.extract_tb(error.__traceback__)
    return any(f"{os.sep}jax{os.sep}" in frame.filename or "jax_funcified" in frame.name for frame in frames)


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def compile_function(inputs, outputs, updates=None, givens=None, defaults=None,
                     name=None, mode=None, on_unused_input="raise"):
    """Compile a graph with ``mode`` (None: the default mode), as ``theano.function`` did; see TutorialFunction.

    An input given as ``In(variable, value=v)`` takes ``v`` when a call leaves
    it out (``defaults={"name": v}`` says the same by the input's name).
    ``on_unused_input``: "raise", "warn" or "ignore" an input the outputs do
    not depend on, as ``theano.function`` took it.

    When a backend cannot translate an op, raise a one-line ModeError naming
    the op and the backend instead of PyTensor's long traceback.
    """
    arguments = dict(inputs=inputs, outputs=outputs, updates=updates, givens=givens, defaults=defaults, name=name,
                     mode=mode, on_unused_input=on_unused_input)
    mode = check_mode(mode)
    defaults = dict(defaults or {})
    defaults.update((item.variable.name, item.value) for item in inputs if isinstance(item, In))
    inputs = [item.variable if isinstance(item, In) else item for item in inputs]
    givens = engine.one_row_givens(givens)
    try:
        fn = pytensor.function(inputs, outputs, updates=updates, givens=givens, name=name,
                               mode=compile_mode(mode), on_unused_input=on_unused_input)
    except NotImplementedError as error:
        raise ModeError(f"the {mode} backend cannot compile this graph ({_first_line(error)}); use --mode c") from error
    if mode == "jax":  # before JAX traces the graph, at the first call
        use_jax_64_bit_types_for(fn.maker.fgraph.outputs)
    wrapper = JaxTutorialFunction if mode == "jax" else TutorialFunction
    return wrapper(fn, defaults, arguments)
