"""``theano.function`` and ``theano.In``: compiled functions with input defaults and keyword calls."""

from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.traversal import graph_inputs

from ...core.compile import compile_function, pytensor_function
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


class Function:
    """What ``theano.function`` returns: the compiled function, with the attributes Theano code reads of it.

    ``maker`` (``maker.fgraph``: the rewritten graph), ``name``, ``trust_input``
    and ``copy(share_memory=, swap=, delete_updates=, name=)`` are PyTensor's
    Function's, which kept Theano's; a call goes to the compiled function
    (defaults, keywords, casting).
    """

    def __init__(self, compiled):
        self.fn = compiled  # a TutorialFunction, which dltutorial.core.compile.pytensor_function unwraps

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    @property
    def maker(self):
        return pytensor_function(self).maker

    @property
    def name(self):
        return pytensor_function(self).name

    @property
    def trust_input(self):
        return pytensor_function(self).trust_input

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None):
        """A copy of the function, as Theano's ``Function.copy``: sharing its storage, with shared variables swapped
        (``swap={old: new}``), without its updates."""
        copied = pytensor_function(self).copy(share_memory=share_memory, swap=swap, delete_updates=delete_updates,
                                              name=name)
        return Function(type(self.fn)(copied, self.fn.defaults))


def function(inputs, outputs=None, mode=None, updates=None, givens=None, no_default_updates=False,
             accept_inplace=False, name=None, rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input=None):
    """Compile ``outputs`` from ``inputs`` as ``theano.function`` did.

    ``inputs`` may hold :class:`In` entries: their ``value`` is the default
    when a call leaves them out; every input can be passed by keyword under
    its name.  Arguments are cast to the inputs' types (Theano's
    ``allow_input_downcast=True``).  ``mode`` is one of dltutorial's modes
    (``'c'``, ``'numba'``, ``'jax'``) or a Theano mode name, which compiles
    with the default backend.  ``no_default_updates``: True, or a list of
    shared variables, whose default updates (a random draw's generator moving
    on) the function does not make.
    """
    variables, defaults, stand_ins = [], {}, {}
    for item in inputs:
        variable = item.variable if isinstance(item, In) else item
        if isinstance(item, In) and item.name is not None and item.name != variable.name:
            # called by the In's name, as Theano's were, without renaming the caller's variable: an input of
            # that name stands in for it
            stand_ins[variable] = variable = variable.type(name=item.name)
        if isinstance(item, In) and item.value is not None:
            defaults[variable.name] = item.value
        variables.append(variable)
    pairs = list(stand_ins.items()) + list(givens.items() if isinstance(givens, dict) else givens or [])
    outputs = [] if outputs is None else outputs
    if no_default_updates:
        updates = list(updates.items() if isinstance(updates, dict) else updates or [])
        updates += held_still(outputs, updates, pairs, no_default_updates)
    return Function(compile_function(variables, outputs, updates=updates,
                                     givens=pairs or None, defaults=defaults, name=name, mode=backend(mode),
                                     on_unused_input=on_unused_input or "raise"))


def held_still(outputs, updates, givens, no_default_updates):
    """``(variable, variable)`` updates for the shared variables with a default update that the graph reads and
    ``no_default_updates`` names (True: all of them), leaving them as they are.

    An explicit update takes the place of a default one in PyTensor as in Theano, so that an update to itself is
    Theano's "no default update".
    """
    updated = {variable for variable, _ in updates}
    graph = [*(outputs if isinstance(outputs, (list, tuple)) else [outputs]), *(new for _, new in updates),
             *(new for _, new in givens)]
    return [(variable, variable) for variable in graph_inputs(graph)
            if isinstance(variable, SharedVariable) and variable.default_update is not None and variable not in updated
            and (no_default_updates is True or variable in no_default_updates)]
