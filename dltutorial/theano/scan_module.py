"""``theano.scan``: PyTensor's scan, returning Theano's ``(outputs, updates)`` pair, drawing anew at every step."""

import pytensor
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.traversal import graph_inputs
from pytensor.scan.basic import get_updates_and_outputs
from pytensor.scan.utils import until  # noqa: F401 (a loop that stops early: return (outputs, until(condition)))


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, profile=False, allow_gc=None, strict=False, return_list=False):
    """As Theano's: the outputs (one variable, or a list) and the updates of the shared variables the loop draws
    from (random streams), which ``theano.function`` must be given.

    A random draw made outside the step and used in it is drawn anew at every
    step, as Theano drew it (:func:`drawing_at_every_step`).  The step is
    compiled as ``theano.function`` compiles: with the mode named, else the
    default one, our rewrites included (PyTensor given no mode would compile
    it with its own plain C mode, none of ours).
    """
    from ..core.modes import compile_mode
    from .compile.mode import backend

    return pytensor.scan(lambda *args: drawing_at_every_step(fn(*args)), sequences=sequences,
                         outputs_info=outputs_info, non_sequences=non_sequences, n_steps=n_steps,
                         truncate_gradient=truncate_gradient, go_backwards=go_backwards,
                         mode=compile_mode(backend(mode)), name=name, profile=profile, allow_gc=allow_gc,
                         strict=strict, return_list=return_list, return_updates=True)


def drawing_at_every_step(returned):
    """What a step returned, with the default updates of the shared variables its graph reads added to its updates.

    Theano's scan took every shared variable with a default update that the
    step's graph reads (a draw's generator, wherever the draw was made) into
    the loop with that update, so the draw was made anew at every step.
    PyTensor's takes only those made inside the step: a draw made outside
    would be the same at every step.  A draw passed in ``non_sequences`` stays
    outside the step's graph, drawn once per call, in both.
    """
    condition, outputs, updates = get_updates_and_outputs(returned)
    updates = dict(updates)
    read = graph_inputs([*outputs, *updates.values(), *([] if condition is None else [condition])])
    updates.update((variable, variable.default_update) for variable in read
                   if isinstance(variable, SharedVariable) and variable.default_update is not None
                   and variable not in updates)
    return (outputs, updates) if condition is None else (outputs, updates, until(condition))
