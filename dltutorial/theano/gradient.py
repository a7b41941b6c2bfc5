"""``theano.gradient``: ``grad``, ``Rop``, ``Lop``, ``jacobian``, ``hessian`` and the helpers an Op's ``grad`` uses.

``Rop`` keeps Theano's meaning where PyTensor's graph would differ: Theano's
R-operator gave every other floating-point input of the graph the evaluation
point zero, so its result still read them, and a function compiled from it
with all of the graph's inputs (``function([W, V, x], Rop(dot(x, W), W, V))``)
had none unused.  PyTensor's leaves out ``W`` there, and compiling raises
UnusedInputError.
"""

from pytensor.gradient import (  # noqa: F401 (Theano's names, PyTensor's functions)
    DisconnectedInputError,
    DisconnectedType,
    NullType,
    disconnected_grad,
    grad,
    grad_clip,
    grad_not_implemented,
    grad_undefined,
    hessian,
    jacobian,
    numeric_grad,
    pullback,
    pushforward,
    subgraph_grad,
    undefined_grad,
    verify_grad,
    zero_grad,
)
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import graph_inputs
from pytensor.tensor.type import TensorType, continuous_dtypes

from ._missing import missing

consider_constant = zero_grad  # Theano's older name: a gradient of zero through x


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):  # noqa: N802 (Theano's)
    """The Jacobian of ``f`` with respect to ``wrt`` times ``eval_points`` (one per ``wrt``), as Theano's ``Rop``.

    The graph's other floating-point inputs get the evaluation point zero, as
    in Theano, which adds nothing to the value and keeps them read.  Where
    they exist no output is disconnected (Theano's R-operator then gave the
    output zeros), so ``disconnected_outputs`` applies when ``f`` reads only
    ``wrt``.  ``return_disconnected``: ``'zero'``, ``'None'`` or
    ``'Disconnected'``, in any case.
    """
    wrt_list, points = _as_list(wrt), _as_list(eval_points)
    others = [variable for variable in graph_inputs(_as_list(f))
              if variable not in wrt_list and not isinstance(variable, Constant)
              and isinstance(variable.type, TensorType) and variable.type.dtype in continuous_dtypes]
    return pushforward(f, wrt_list + others, points + [variable.zeros_like() for variable in others],
                       disconnected_outputs="ignore" if others else disconnected_outputs,
                       return_disconnected=return_disconnected.lower())


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):  # noqa: N802 (Theano's name)
    """``eval_points`` (one per ``f``) times the Jacobian of ``f`` with respect to ``wrt``, as Theano's ``Lop``."""
    return pullback(f, wrt, eval_points, consider_constant=consider_constant,
                    disconnected_inputs=disconnected_inputs)


def __getattr__(name):
    raise missing("gradient", name)
