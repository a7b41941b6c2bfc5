"""Sums in vectorised C loops: an L2 penalty, and a sum over adjacent axes (a bias gradient).

PyTensor's C reduction walks its input with strides known only at run
time and adds one element at a time into a float64 accumulator, each
addition waiting for the one before.  The two ops below know the layout
(they make their input C-contiguous, a no-op almost always) and let gcc
keep several partial sums in SIMD registers (``omp simd``).  They still
accumulate in float64, as PyTensor does: the results differ from
PyTensor's sums only by float64 rounding.
"""

import numpy
import pytensor.scalar as ps
import pytensor.tensor as pt
from pytensor.graph import Apply, node_rewriter
from pytensor.link.c.op import COp
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.math import Sum

FLOAT_TYPES = ("float32", "float64")


def permutation(variable):
    """``(base, order)`` when ``variable`` is ``base.dimshuffle(order)`` reordering all of base's axes, else None."""
    node = variable.owner
    if node is None or not isinstance(node.op, DimShuffle):
        return None
    order = node.op.new_order
    return None if "x" in order or len(order) != node.inputs[0].ndim else (node.inputs[0], order)


class SumOfSquares(COp):
    """``sum(x ** 2)`` over every element, accumulated in float64, in one vectorised C loop.

    The MLP's L2 penalty sums the squares of its weights at every step, and
    PyTensor's reduction spends a large share of the step on that sum
    (docs/benchmarks.md, "Why the code is shaped as it is", has the
    measurements).
    """

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, x):
        x = pt.as_tensor_variable(x)
        return Apply(self, [x], [pt.tensor(dtype=self.dtype, shape=())])

    def perform(self, node, inputs, outputs):
        (x,) = inputs
        outputs[0][0] = numpy.asarray(numpy.sum(numpy.square(x, dtype="float64")), dtype=self.dtype)

    def c_compile_args(self, **kwargs):
        return ["-fopenmp-simd"]

    def c_code(self, node, name, inputs, outputs, sub):
        (x,), (z,), fail = inputs, outputs, sub["fail"]
        return f"""
        {{
            PyArrayObject* contiguous = PyArray_GETCONTIGUOUS({x});
            if (contiguous == NULL) {fail}
            const dtype_{x}* data = (const dtype_{x}*) PyArray_DATA(contiguous);
            const npy_intp n = PyArray_SIZE(contiguous);
            double total = 0.0;
            #pragma omp simd reduction(+:total)
            for (npy_intp i = 0; i < n; ++i) {{
                const double v = data[i];
                total += v * v;
            }}
            Py_DECREF(contiguous);
            if ({z} == NULL) {{
                {z} = (PyArrayObject*) PyArray_EMPTY(0, NULL, NPY_{self.dtype.upper()}, 0);
                if ({z} == NULL) {fail}
            }}
            *(dtype_{z}*) PyArray_DATA({z}) = (dtype_{z}) total;
        }}
        """

    def c_code_cache_version(self):
        return (1,)


@node_rewriter([Sum])
def sum_of_squares(fgraph, node):
    """Compute ``sum(sqr(x))`` over all axes, accumulated in float64 (an L2 penalty), with :class:`SumOfSquares`."""
    (squares,) = node.inputs
    if node.op.acc_dtype != "float64" or node.op.axis not in (None, tuple(range(squares.ndim))):
        return None
    if squares.owner is None or not isinstance(squares.owner.op, Elemwise) \
            or not isinstance(squares.owner.op.scalar_op, ps.Sqr):
        return None
    (x,) = squares.owner.inputs
    if x.dtype not in FLOAT_TYPES:
        return None
    return [SumOfSquares(node.outputs[0].dtype)(x)]


class AdjacentAxesSum(COp):
    """``x`` summed over its axes ``first`` to ``last - 1``, accumulated in float64, in vectorised C loops.

    The input is seen as ``(outer, summed, inner)``: with ``inner == 1`` each
    total is one SIMD reduction; otherwise whole rows of ``inner`` values are
    added at once.  LeNet's bias gradients are such sums, of large arrays
    down to one value per channel: PyTensor's reduction computes them
    several times slower than this op, which comes close to numpy
    (docs/benchmarks.md, "Why the code is shaped as it is", has the
    measurements).
    """

    __props__ = ("first", "last", "dtype")

    def __init__(self, first, last, dtype):
        self.first, self.last, self.dtype = int(first), int(last), dtype

    def make_node(self, x):
        x = pt.as_tensor_variable(x)
        if not 0 <= self.first < self.last <= x.ndim:
            raise ValueError(f"AdjacentAxesSum: axes {self.first} to {self.last - 1} of a {x.ndim}-D tensor")
        shape = x.type.shape[:self.first] + x.type.shape[self.last:]
        return Apply(self, [x], [pt.tensor(dtype=self.dtype, shape=shape)])

    def perform(self, node, inputs, outputs):
        (x,) = inputs
        total = numpy.sum(x, axis=tuple(range(self.first, self.last)), dtype="float64")
        outputs[0][0] = numpy.asarray(total, dtype=self.dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [tuple(shapes[0][:self.first]) + tuple(shapes[0][self.last:])]

    def c_compile_args(self, **kwargs):
        return ["-fopenmp-simd"]

    def c_code(self, node, name, inputs, outputs, sub):
        (x,), (z,), fail = inputs, outputs, sub["fail"]
        ndim, out_ndim = node.inputs[0].ndim, node.outputs[0].ndim
        kept = [axis for axis in range(ndim) if not self.first <= axis < self.last]
        out_dims = ", ".join(f"PyArray_DIMS(contiguous)[{axis}]" for axis in kept) or "0"
        return f"""
        {{
            PyArrayObject* contiguous = PyArray_GETCONTIGUOUS({x});
            if (contiguous == NULL) {fail}
            npy_intp outer = 1, summed = 1, inner = 1;
            for (int axis = 0; axis < {ndim}; ++axis) {{
                const npy_intp n = PyArray_DIMS(contiguous)[axis];
                if (axis < {self.first}) outer *= n; else if (axis < {self.last}) summed *= n; else inner *= n;
            }}
            npy_intp out_dims[] = {{{out_dims}}};
            if ({z} == NULL || !PyArray_IS_C_CONTIGUOUS({z})
                    || !PyArray_CompareLists(PyArray_DIMS({z}), out_dims, {out_ndim})) {{
                Py_XDECREF({z});
                {z} = (PyArrayObject*) PyArray_EMPTY({out_ndim}, out_dims, NPY_{self.dtype.upper()}, 0);
            }}
            double* rows = inner > 1 ? (double*) malloc(inner * sizeof(double)) : NULL;
            if ({z} == NULL || (inner > 1 && rows == NULL)) {{
                Py_DECREF(contiguous);
                free(rows);
                if (!PyErr_Occurred()) PyErr_NoMemory();
                {fail}
            }}
            const dtype_{x}* data = (const dtype_{x}*) PyArray_DATA(contiguous);
            dtype_{z}* out = (dtype_{z}*) PyArray_DATA({z});
            for (npy_intp o = 0; o < outer; ++o) {{
                const dtype_{x}* block = data + o * summed * inner;
                if (inner == 1) {{
                    double total = 0.0;
                    #pragma omp simd reduction(+:total)
                    for (npy_intp s = 0; s < summed; ++s) total += block[s];
                    out[o] = (dtype_{z}) total;
                    continue;
                }}
                for (npy_intp i = 0; i < inner; ++i) rows[i] = 0.0;
                for (npy_intp s = 0; s < summed; ++s) {{
                    const dtype_{x}* row = block + s * inner;
                    #pragma omp simd
                    for (npy_intp i = 0; i < inner; ++i) rows[i] += row[i];
                }}
                for (npy_intp i = 0; i < inner; ++i) out[o * inner + i] = (dtype_{z}) rows[i];
            }}
            free(rows);
            Py_DECREF(contiguous);
        }}
        """

    def c_code_cache_version(self):
        return (1,)


@node_rewriter([Sum])
def sum_over_adjacent_axes(fgraph, node):
    """Compute a float64-accumulated sum over adjacent axes, of a tensor or of a transposed view of one,
    with :class:`AdjacentAxesSum`.

    Through a transpose the sum is taken over the axes they are in memory:
    LeNet's bias gradients sum a batch-last array seen as
    ``(batch, channels, rows, cols)`` over all but its channels.
    """
    (x,) = node.inputs
    axes = tuple(range(x.ndim)) if node.op.axis is None else tuple(sorted(node.op.axis))
    if node.op.acc_dtype != "float64" or x.dtype not in FLOAT_TYPES or not axes:
        return None
    x, order = permutation(x) or (x, tuple(range(x.ndim)))
    summed = sorted(order[axis] for axis in axes)
    if summed != list(range(summed[0], summed[-1] + 1)):
        return None
    total = AdjacentAxesSum(summed[0], summed[-1] + 1, node.outputs[0].dtype)(x)
    kept = [order[axis] for axis in range(len(order)) if axis not in axes]  # the result's axes, as x's
    return [total.dimshuffle([sorted(kept).index(axis) for axis in kept])]
