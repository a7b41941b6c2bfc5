"""``theano.ifelse``: a lazy two-way branch (only the branch taken is computed), PyTensor's."""

from pytensor.ifelse import IfElse, ifelse  # noqa: F401
