"""``theano.function`` and ``theano.In``: compiled functions with input defaults and keyword calls."""

from ...core.compile import compile_function
from .mode import backend


class In:
    """An input with a default value (Theano's ``In``; ``Param`` in older Theano): ``In(x, value=2.0)``."""

    def __init__(self, variable, name=None, value=None, update=None, mutable=None, strict=False,
                 allow_downcast=None, autoname=True, implicit=None, borrow=None, shared=False):
        if update is not None or mutable:
            from .._missing import missing
            raise missing("In", "update/mutable (give the shared variable's update to function(updates=...))")
        self.variable = variable
        self.name = name or variable.name
        self.value = value


def function(inputs, outputs=None, mode=None, updates=None, givens=None, no_default_updates=False,
             accept_inplace=False, name=None, rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input=None):
    """Compile ``outputs`` from ``inputs`` as ``theano.function`` did.

    ``inputs`` may hold :class:`In` entries: their ``value`` is the default
    when a call leaves them out; every input can be passed by keyword under
    its name.  Arguments are cast to the inputs' types (Theano's
    ``allow_input_downcast=True``).  ``mode`` is one of dltutorial's modes
    (``'c'``, ``'numba'``, ``'jax'``) or a Theano mode name, which compiles
    with the default backend.
    """
    variables, defaults = [], {}
    for item in inputs:
        if isinstance(item, In):
            if item.variable.name is None:
                item.variable.name = item.name
            if item.value is not None:
                defaults[item.variable.name] = item.value
            variables.append(item.variable)
        else:
            variables.append(item)
    return compile_function(variables, [] if outputs is None else outputs, updates=updates, givens=givens,
                            defaults=defaults, name=name, mode=backend(mode),
                            on_unused_input=on_unused_input or "raise")
