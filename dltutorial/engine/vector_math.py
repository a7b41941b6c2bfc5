"""``tanh`` in float32 as arithmetic that Numba vectorises, for the numba mode.

PyTensor's Numba backend computes ``tanh`` one element at a time through the
C library's scalar function (LLVM has no vector maths library there), while
gcc compiles the c mode's loops to glibc's vector functions: LeNet's and the
MLP's activations ran many times slower in numba than in c.  The op below is
PyTensor's own ``tanh`` (its C code, its gradient), with a Numba
implementation made of multiplications, additions and one division
(:func:`.numba_kernels.tanh_float32`), which LLVM vectorises.  It computes in
float64 and rounds to float32, so each value is within an ulp of the true
one, as the C library's is.  The rewrite swaps it in for float32 elementwise
``tanh`` before elementwise fusion, in the numba mode only (:mod:`.registry`).

The sigmoid stays PyTensor's: the C library's scalar ``exp`` is quick, and in
a fused loop that also calls a scalar function (a ``log``, a ``softplus``)
LLVM vectorises nothing, where arithmetic of this kind is slower than the call
(the RBM's step; docs/benchmarks.md has the figures).
"""

from pytensor.graph.rewriting.basic import node_rewriter
from pytensor.scalar.basic import Tanh, upgrade_to_float
from pytensor.tensor.elemwise import Elemwise


class VectorisedTanh(Tanh):
    """``tanh``, whose Numba implementation LLVM vectorises (float32)."""


vectorised_tanh = VectorisedTanh(upgrade_to_float, name="vectorised_tanh")


@node_rewriter([Elemwise])
def vectorised_float32_tanh(fgraph, node):
    """``tanh(x)`` of a float32 ``x`` as the vectorised op above."""
    if type(node.op.scalar_op) is not Tanh or node.inputs[0].dtype != "float32" or node.op.inplace_pattern:
        return None
    return [Elemwise(vectorised_tanh)(node.inputs[0])]
