"""``theano.scan``: PyTensor's scan, returning Theano's ``(outputs, updates)`` pair."""

import pytensor
from pytensor.scan.utils import until  # noqa: F401 (a loop that stops early: return (outputs, until(condition)))


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, profile=False, allow_gc=None, strict=False, return_list=False):
    """As Theano's: the outputs (one variable, or a list) and the updates of the shared variables the loop draws
    from (random streams), which ``theano.function`` must be given.

    The step is compiled as ``theano.function`` compiles: with the mode named, else the default one, our rewrites
    included (PyTensor given no mode would compile it with its own plain C mode, none of ours).
    """
    from ..core.modes import compile_mode
    from .compile.mode import backend

    return pytensor.scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                         n_steps=n_steps, truncate_gradient=truncate_gradient, go_backwards=go_backwards,
                         mode=compile_mode(backend(mode)), name=name, profile=profile,
                         allow_gc=allow_gc, strict=strict, return_list=return_list, return_updates=True)
