"""Theano's truth test of a symbolic variable, which ``python -m dltutorial.theano`` switches on for its script.

Theano made every variable true (``if W: ...`` ran) except a comparison's
result, whose truth test raised: ``a < b < c`` cannot be computed
symbolically.  PyTensor raises for every variable.  Changing that changes
PyTensor for the whole process, so no import does it: only the runner, which
exists to run Theano code.
"""

import pytensor.scalar as ps
from pytensor.tensor.elemwise import Elemwise
from pytensor.tensor.variable import _tensor_py_operators

COMPARISONS = (ps.LT, ps.GT, ps.LE, ps.GE, ps.EQ, ps.NEQ)


def theano_truth(variable):
    """True, unless ``variable`` is a comparison's result (then TypeError, as Theano)."""
    node = variable.owner
    if node is not None and isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, COMPARISONS):
        raise TypeError("Variables do not support boolean operations.")
    return True


def use_theano_truth_tests():
    """Give PyTensor's tensor variables Theano's truth test, for the rest of the process."""
    _tensor_py_operators.__bool__ = theano_truth
