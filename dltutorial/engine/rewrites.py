"""Graph rewrites that our compile modes add to PyTensor's ``fast_run``: what each one does and why.

:mod:`.registry` registers them, each under one of our tags (the table of
tags is there too).
"""

import numpy
import pytensor.scalar as ps
import pytensor.scalar.math as ps_math
import pytensor.tensor as pt
from pytensor.compile.builders import OpFromGraph
from pytensor.graph import node_rewriter
from pytensor.graph.op import HasInnerGraph
from pytensor.graph.traversal import ancestors
from pytensor.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from pytensor.tensor.exceptions import NotScalarConstantError
from pytensor.tensor.random.basic import BinomialRV, uniform
from pytensor.tensor.rewriting.ofg import inline_ofg_node
from pytensor.tensor.special import LogSoftmax, Softmax
from pytensor.tensor.subtensor import Subtensor, indices_from_subtensor
from pytensor.tensor.type import TensorType
from pytensor.tensor.type_other import NoneTypeT

from ..core.convolution import Convolution, FiltersGradient, InputGradient
from .patches import Patches, PatchesAdjoint
from .sums import permutation


@node_rewriter(None)
def refine_static_shape(fgraph, node):
    """Rebuild a node whose inputs now have more precise static shapes than it was built with.

    PyTensor computes an output's static shape when the node is built, and
    does not update it when rewrites later make an input more precise.  The
    tutorials' minibatch (``train_set_x[index: index + 1]``, given the
    static shape ``(1, n)`` by :func:`one_row_as_row`) reaches
    the corruption mask, the hidden layer and the gradients only through
    nodes built with unknown shapes (the mask's size is ``input.shape``,
    constant only after shape rewrites).  Rebuilt, a batch of one is a
    broadcastable row all the way down, and PyTensor's BLAS rewrites can
    turn its products into matrix-vector products and rank-1 updates.
    """
    if isinstance(node.op, HasInnerGraph) or not all(isinstance(o.type, TensorType) for o in node.outputs):
        return None
    try:
        rebuilt = node.op.make_node(*node.inputs)
    except (TypeError, ValueError, NotImplementedError):
        return None
    pairs = list(zip(node.outputs, rebuilt.outputs))
    if len(pairs) != len(node.outputs) or all(old.type == new.type for old, new in pairs):
        return None
    if not all(old.type.is_super(new.type) for old, new in pairs):
        return None
    return rebuilt.outputs


@node_rewriter([Softmax, LogSoftmax])
def inline_softmax(fgraph, node):
    """Replace a Softmax/LogSoftmax node by its inner graph of C-compiled elementwise ops.

    Since PyTensor 3.0.x these ops are symbolic wrappers (OpFromGraph) that
    the C backend runs through Python, slow at batch size 1 (docs/benchmarks.md);
    inlined, they fuse into C loops.  Earlier 3.0 releases had C ops, left as they are.
    """
    if not isinstance(node.op, OpFromGraph):
        return None
    return inline_ofg_node(node)


# elementwise functions that gcc vectorises through libmvec in a contiguous one-input loop
VECTOR_MATH_OPS = (ps.Tanh, ps.Exp, ps.Log, ps.Log1p, ps_math.Sigmoid)


@node_rewriter([Elemwise])
def split_vector_math_from_fusion(fgraph, node):
    """Take tanh/exp/log/sigmoid out of a fused loop: ``h(f(g(a, b)), c)`` -> ``g``, then ``f`` alone, then ``h``.

    PyTensor's C code runs a one-input elementwise op over a contiguous
    array in a plain loop, which gcc vectorises with libmvec; a fused loop
    of several inputs uses strided pointers, and each ``tanhf`` is a scalar
    call.  Split out, the tanh alone runs many times faster than in the
    fused loop, and even the RBM's sample ``uniform < sigmoid(x + b)`` is
    faster in three loops than in one (docs/benchmarks.md, "Why the code is
    shaped as it is", has the measurements).  The extra passes over memory
    cost far less than the scalar calls.
    """
    composite = node.op.scalar_op
    if not isinstance(composite, ps.Composite) or len(node.inputs) < 2:
        return None
    inner = composite.fgraph
    vector_math = next((n for n in inner.toposort() if isinstance(n.op, VECTOR_MATH_OPS)), None)
    if vector_math is None:
        return None
    (argument,), (result,) = vector_math.inputs, vector_math.outputs
    tensors = dict(zip(inner.inputs, node.inputs))
    tensors[argument] = _fused_loop(inner, tensors, [argument])[0]  # the input itself if it is one
    tensors[result] = Elemwise(vector_math.op)(tensors[argument])
    return _fused_loop(inner, tensors, inner.outputs)


def _fused_loop(inner, tensors, outputs):
    """The variables ``outputs`` of the scalar graph ``inner`` as tensors, computed by one elementwise loop from the
    tensors that ``tensors`` gives for some of its variables (those it meets first going up from ``outputs``).

    The loop's scalar graph is built anew on fresh variables: a Composite's inner graph is interned and shared by
    every Composite of the same structure, so it must be neither cut nor cloned in place."""
    fresh = {variable: variable.type() for variable in tensors}
    rebuilt = dict(fresh)
    for apply in inner.toposort():
        if all(variable in rebuilt or isinstance(variable, ps.ScalarConstant) for variable in apply.inputs) \
                and not all(variable in rebuilt for variable in apply.outputs):
            new = apply.op.make_node(*(rebuilt.get(variable, variable) for variable in apply.inputs))
            rebuilt.update(zip(apply.outputs, new.outputs))
    computed = [output for output in outputs if output not in tensors]
    if computed:
        needed = set(ancestors([rebuilt[output] for output in computed]))
        used = [variable for variable in tensors if fresh[variable] in needed]
        loop = ps.Composite([fresh[variable] for variable in used], [rebuilt[output] for output in computed])
        tensors = {**tensors, **dict(zip(computed, Elemwise(loop)(*(tensors[v] for v in used), return_list=True)))}
    return [tensors[output] for output in outputs]


@node_rewriter([Convolution, FiltersGradient, InputGradient])
def convolution_as_one_product(fgraph, node):
    """A convolution or one of its gradients as one product with the whole patch matrix, for the C backend.

    ``Convolution(filters, x)`` -> ``dot(filters, Patches(x))``; its filters'
    gradient -> ``dot(g, Patches(x).T)``, the same patch matrix (merged into
    one node); its input's -> ``PatchesAdjoint(x, dot(filters.T, g))``.  The
    products are then PyTensor's, which its BLAS rewrites turn into C
    ``Dot22`` and ``Gemm`` (the filters' update folded in), all on the one
    OpenBLAS the C code links (:mod:`.patches` says why).
    """
    op, wanted = node.op, node.outputs[0]
    windows = (op.k_rows, op.k_cols)
    if isinstance(op, Convolution):
        filters, x = node.inputs
        product = pt.dot(filters, Patches(*windows)(x))
        result = product.reshape((filters.shape[0], x.shape[2] - op.k_rows + 1, x.shape[3] - op.k_cols + 1,
                                  x.shape[0]))
    elif isinstance(op, FiltersGradient):
        x, g = node.inputs
        result = pt.dot(g.reshape((g.shape[0], -1)), Patches(*windows)(x).T)
    else:
        filters, g, x = node.inputs
        result = PatchesAdjoint(*windows)(x, pt.dot(filters.T, g.reshape((g.shape[0], -1))))
    return [pt.specify_shape(result, wanted.type.shape) if result.type != wanted.type else result]


@node_rewriter([Elemwise])
def elementwise_in_memory_order(fgraph, node):
    """Run an elementwise op over transposed inputs in their memory order: ``f(x.T, y.T)`` -> ``f(x, y).T``.

    PyTensor's C code writes an elementwise result in C order, so over a
    transposed view it reads or writes with a long stride.  LeNet's layers
    keep their maps batch-last, ``(channels, rows, cols, batch)``, and show
    them to the tutorial as ``(batch, channels, rows, cols)`` views: adding
    the bias to the pooled maps through such a view is slow, and its C-order
    result then has to be copied back to batch-last for the next
    convolution (docs/benchmarks.md, "Why the code is shaped as it is", has
    the measurements).  The transpose moves to the result, where whatever
    reads it next may take it as it is.  Applied only where every
    input is then a view in memory order (a transpose undone, a bias
    broadcast, a constant), so that no input becomes strided instead.
    """
    order = next((variable.owner.op.new_order for variable in node.inputs if _is_transpose(variable)), None)
    if order is None:
        return None
    inverse = tuple(int(axis) for axis in numpy.argsort(order))
    inputs = [_transposed_in_order(variable, inverse) for variable in node.inputs]
    if any(variable is None for variable in inputs):
        return None
    return [output.dimshuffle(order) for output in node.op.make_node(*inputs).outputs]


def _is_transpose(variable):
    """Whether ``variable`` is a reordering of all the axes of another tensor, not the identity."""
    found = permutation(variable)
    return found is not None and list(found[1]) != sorted(found[1])


def _transposed_in_order(variable, order):
    """``variable.dimshuffle(order)`` as one view, if it keeps its axes in memory order; else None."""
    if variable.owner is not None and isinstance(variable.owner.op, DimShuffle):
        base = variable.owner.inputs[0]
        composed = [variable.owner.op.new_order[axis] for axis in order]
        kept = [axis for axis in composed if axis != "x"]
        return base.dimshuffle(composed) if kept == sorted(kept) else None
    if sum(size != 1 for size in variable.type.shape) <= 1:  # at most one axis that is not broadcast
        return variable.dimshuffle(order)
    return None


@node_rewriter([BinomialRV])
def binomial_one_as_uniform_below_p(fgraph, node):
    """Draw ``binomial(n=1, p)`` (the dA's masking noise, the RBM's samples) as ``uniform() < p``.

    The same distribution, far cheaper: numpy's binomial sampler costs many
    times more a draw than a uniform and a comparison, and the RBM's PCD-15
    step draws hundreds of thousands of values (docs/benchmarks.md, "Why the
    code is shaped as it is", has the measurements).  JAX needs it too:
    PyTensor samples JAX binomials through NumPyro, whose sampler fails to
    trace with 64-bit types.
    """
    rng, size, n, p = node.inputs
    try:
        if pt.get_underlying_scalar_constant_value(n) != 1:
            return None
    except NotScalarConstantError:
        return None
    if isinstance(size.type, NoneTypeT):
        size = p.shape
    next_rng, draws = uniform.make_node(rng, size, pt.constant(0.0, dtype=p.dtype),
                                        pt.constant(1.0, dtype=p.dtype)).outputs
    return [next_rng, pt.cast(pt.lt(draws, p), node.outputs[1].dtype)]


@node_rewriter([CAReduce])
def careduce_then_cast(fgraph, node):
    """Give JAX a sum accumulated in ``acc_dtype`` and an explicit cast to the output dtype.

    PyTensor sums float32 in a float64 accumulator; its JAX translation
    returns the accumulator's dtype, so a float32 graph handed float64
    values to later ops (JAX warns it will refuse such a scatter) and
    returned float64 results.  The cast makes the output float32 again.
    """
    acc_dtype = getattr(node.op, "acc_dtype", None)
    out_dtype = node.outputs[0].dtype
    if acc_dtype is None or acc_dtype == out_dtype:
        return None
    return [pt.cast(node.op.clone(dtype=acc_dtype)(*node.inputs), out_dtype)]


def affine_terms(variable):
    """``variable`` as ``{input: coefficient, None: constant}`` when it is an integer-affine expression, else None.

    Follows constants, additions, subtractions, negations, products with a
    constant, casts and scalar/tensor conversions: enough to see that a
    Theano-style minibatch ``x[i * n:(i + 1) * n]`` has ``n`` rows.
    """
    try:
        return {None: int(pt.get_underlying_scalar_constant_value(variable))}
    except NotScalarConstantError:
        pass
    node = variable.owner
    if node is None:
        return {variable: 1, None: 0}
    op = node.op.scalar_op if isinstance(node.op, Elemwise) else node.op
    if isinstance(op, ps.Cast) or type(op).__name__ in ("ScalarFromTensor", "TensorFromScalar"):
        return affine_terms(node.inputs[0])
    if not isinstance(op, (ps.Add, ps.Sub, ps.Neg, ps.Mul)):
        return None
    parts = [affine_terms(i) for i in node.inputs]
    if any(part is None for part in parts):
        return None
    if isinstance(op, ps.Add):
        return _combine(parts, [1] * len(parts))
    if isinstance(op, ps.Sub):
        return _combine(parts, [1, -1])
    if isinstance(op, ps.Neg):
        return _combine(parts, [-1])
    if isinstance(op, ps.Mul):
        variable_parts = [part for part in parts if set(part) != {None}]
        if len(variable_parts) <= 1:
            factor = int(numpy.prod([part[None] for part in parts if set(part) == {None}]))
            return {key: factor * value for key, value in (variable_parts or [{None: 1}])[0].items()}
    return None


def _combine(parts, signs):
    total = {}
    for part, sign in zip(parts, signs):
        for key, value in part.items():
            total[key] = total.get(key, 0) + sign * value
    return {key: value for key, value in total.items() if value or key is None}


def constant_slice_length(node):
    """``(slice, other indices, n)`` when the Subtensor ``node`` takes ``x[a:b]`` with ``b - a`` the constant ``n``."""
    indices = indices_from_subtensor(node.inputs[1:], node.op.idx_list)
    first = indices[0]
    if not isinstance(first, slice) or first.step is not None or first.start is None or first.stop is None:
        return None
    start, stop = affine_terms(first.start), affine_terms(first.stop)
    if start is None or stop is None or set(start) == {None}:
        return None
    length = _combine([stop, start], [1, -1])
    if set(length) != {None} or length[None] < 0:
        return None
    return first, indices[1:], length[None]


def one_row_as_row(value):
    """``x[i * 1:(i + 1) * 1]`` with the static length 1: a minibatch of one row is a row; other values as they are.

    The tutorials give their minibatches as ``givens``, ``train_set_x[index *
    batch_size: (index + 1) * batch_size]``; at batch size 1 (the SdA) the
    static row count is what lets :func:`refine_static_shape` and the BLAS-2
    rewrites see a row vector.  It is given before any rewrite runs (PyTensor
    inlines and stabilises the softmax first, differently when the length is
    not known).  Only a length of one is claimed: a slice of one row past
    the data's end is a mistake in any program, but Theano programs slice a
    last, shorter minibatch of ``n`` rows on purpose.
    """
    node = getattr(value, "owner", None)
    if node is None or not isinstance(node.op, Subtensor) or value.type.shape[:1] == (1,):
        return value
    found = constant_slice_length(node)
    if found is None or found[2] != 1:
        return value
    return pt.specify_shape(value, (1,) + value.type.shape[1:])


@node_rewriter([Subtensor])
def constant_length_slice_as_take(fgraph, node):
    """``x[a:b]`` whose ``b - a`` is a constant ``n`` -> ``x[a + arange(n)]``, ``n`` static rows (JAX only).

    Theano code slices its minibatches as ``x[i * n:(i + 1) * n]``, and so
    do the tutorials; JAX cannot trace a slice with a symbolic start, but
    takes ``n`` rows by an index vector.
    """
    found = constant_slice_length(node)
    if found is None:
        return None
    first, others, length = found
    rows = pt.as_tensor_variable(first.start) + pt.arange(length)
    taken = node.inputs[0][(rows, *others)]
    return [pt.specify_shape(taken, (length,) + (None,) * (taken.ndim - 1))]
