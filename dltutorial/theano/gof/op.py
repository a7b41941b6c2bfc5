"""``theano.Op`` (``theano.gof.Op``): a user's op with Theano's method signatures, run by PyTensor.

Theano's ``infer_shape(node, input_shapes)`` and
``do_constant_folding(node)`` gained a first argument in PyTensor, the
function graph; Theano's ``grad`` and ``R_op`` became ``pullback`` and
``pushforward``.  A subclass of :class:`Op` writes the Theano ones and
PyTensor calls them through the new ones.  ``make_node`` (or ``itypes`` and
``otypes``), ``perform(node, inputs, output_storage)``, ``__props__``,
``c_code`` and the rest are the same in both.
"""

import functools

from pytensor.gradient import DisconnectedType, disconnected_type
from pytensor.graph.op import Op as _PyTensorOp
from pytensor.link.c.interface import CLinkerOp
from pytensor.link.c.op import COp

from .._missing import missing

GAINED_FGRAPH = ("infer_shape", "do_constant_folding")  # PyTensor's versions take (fgraph, node, ...)


def _called_with_fgraph(method):
    """Theano's ``method(self, node, ...)`` as PyTensor calls it, ``(self, fgraph, node, ...)``."""
    @functools.wraps(method)
    def with_fgraph(self, fgraph, node, *rest):
        return method(self, node, *rest)
    return with_fgraph


class Op(COp):
    """The base of an op written for Theano: Python (``perform``) or C (``c_code``), as Theano's ``Op`` was both."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in GAINED_FGRAPH:
            if name in cls.__dict__:
                setattr(cls, name, _called_with_fgraph(cls.__dict__[name]))

    def make_thunk(self, node, storage_map, compute_map, no_recycling, impl=None):
        """Run ``perform`` at once when the op has no ``c_code`` (a C build would be tried, and fail, first)."""
        if type(self).c_code is CLinkerOp.c_code:
            impl = "py"
        return super().make_thunk(node, storage_map, compute_map, no_recycling, impl=impl)

    def pullback(self, inputs, outputs, cotangents):
        """Theano's ``L_op`` where the op has one, else its ``grad(inputs, output_grads)``."""
        if type(self).L_op is not _PyTensorOp.L_op:
            return self.L_op(inputs, outputs, cotangents)
        return self.grad(inputs, cotangents)

    def pushforward(self, inputs, outputs, tangents):
        """Theano's ``R_op(inputs, eval_points)``: None stood for an input with no tangent, and for an output
        that has none."""
        if type(self).R_op is _PyTensorOp.R_op:
            raise NotImplementedError(f"{type(self).__name__} has no R_op")
        points = [None if isinstance(tangent.type, DisconnectedType) else tangent for tangent in tangents]
        return [disconnected_type() if result is None else result for result in self.R_op(inputs, points)]


def __getattr__(name):
    raise missing("gof.op", name)
