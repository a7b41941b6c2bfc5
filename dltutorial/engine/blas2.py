"""Batch-size-1 products and updates done row by row: fewer passes over the weight matrix.

At batch size 1 a training step is memory-bound: each BLAS-2 call streams the
whole weight matrix through the cache, and a 784x1000 float32 matrix (3.1 MB)
does not fit in a core's L2 on every CPU.  PyTensor's BLAS rewrites give the
SdA's layer-0 pretraining step five such passes (three ``gemv``, two ``ger``).
Going over a C-ordered ``W`` one row at a time does the same arithmetic with
less traffic:

* a row whose input is zero adds nothing to ``x @ W`` and is left unchanged
  by ``W += a * outer(x, y)``, so it is not read.  Four in five MNIST pixels
  are zero: the first layer's product and update touch a fifth of ``W``;
* the backward product that needs the old ``W`` (``x @ W`` or ``W @ y``)
  is computed in the same pass as the update that writes the new one.

Each op shares its rows among OpenMP's threads (``OMP_NUM_THREADS``, one per
core by default), the same rows to the same thread in every pass, so that on
two cores each keeps its half of ``W`` in its own L2 cache; rows that add
into one vector are added up in the same order at every call.  Over a dense row
each loop runs as fast as OpenBLAS's kernel (gcc vectorises it);
docs/benchmarks.md has what the steps gained.  Two ops, put in place of
PyTensor's by the rewrites below (the ``c`` and ``numba`` modes, :mod:`.numba_kernels` has their Numba
loops; :mod:`.registry` registers them):

* :class:`RowGemv` for ``Gemv``: ``x @ W`` (the forward product of a
  layer) or ``W @ y``;
* :class:`RankOneUpdate` for ``Ger``: ``W + alpha * outer(x, y)``,
  optionally with the product of the old ``W`` that the gradient uses.
"""

import functools

import numpy
import pytensor.tensor as pt
from pytensor.graph import Apply, node_rewriter
from pytensor.graph.traversal import ancestors
from pytensor.link.c.cmodule import GCC_compiler
from pytensor.link.c.op import COp
from pytensor.tensor.blas import Gemv, Ger, _dot22
from pytensor.tensor.elemwise import DimShuffle
from pytensor.tensor.exceptions import NotScalarConstantError
from pytensor.tensor.math import Dot


def _over_columns(body):
    """C code running ``body`` with the column stride ``cs`` a compile-time 1 when it is, so that gcc vectorises it."""
    return (f"if (col_stride == 1) {{ const npy_intp cs = 1; {body} }}\n"
            f"else {{ const npy_intp cs = col_stride; {body} }}")


def _same_float_type(*inputs):
    """``inputs`` as tensors, which must all be float32 or all float64 (the C code reads every scalar as W's type)."""
    inputs = [pt.as_tensor_variable(i) for i in inputs]
    dtypes = {i.dtype for i in inputs}
    if dtypes not in ({"float32"}, {"float64"}):
        raise TypeError(f"row-wise BLAS-2 ops take float32 or float64 inputs of one type, not {sorted(dtypes)}")
    return inputs


@functools.cache
def openmp_flags():
    """``-fopenmp`` where the compiler has OpenMP; else the ops' loops run on one thread (still vectorised).

    Asked of the compiler alone (``comp_args=False``): a user's ``gcc__cxxflags``
    (an ``-include`` of a precompiled header) need not compile a bare test program.
    """
    has_openmp = GCC_compiler.try_flags(["-fopenmp"], preamble="#include <omp.h>",
                                        body="return omp_get_max_threads() < 1;", comp_args=False)
    return ["-fopenmp"] if has_openmp else ["-fopenmp-simd"]


# a pass over fewer elements than this (a few microseconds of work) stays on one thread
PARALLEL_MIN_ELEMENTS = 1 << 16


def _parallel_rows():
    """An OpenMP pragma sharing the next loop over rows among threads."""
    return f"#pragma omp parallel for schedule(static) if(m * n >= {PARALLEL_MIN_ELEMENTS})"


def _parallel_rows_adding_into(vector, length, T, loop):
    """C code sharing ``loop`` over rows among threads where each row adds into ``vector`` (``length`` entries).

    Each thread but the first adds into a copy of its own, which it zeroes,
    and the copies are added to ``vector`` in thread order: the same sums, in the same
    order, at every call.  (OpenMP's ``reduction`` clause combines the
    copies in whatever order the threads finish: two runs of the SdA with
    two threads parted after a few steps.)
    """
    return f"""
    {{
        #ifdef _OPENMP
        int threads = m * n >= {PARALLEL_MIN_ELEMENTS} ? omp_get_max_threads() : 1;
        #else
        int threads = 1;
        #endif
        {T}* copies = threads > 1 ? ({T}*) malloc((size_t) (threads - 1) * {length} * sizeof({T})) : NULL;
        if (copies == NULL) threads = 1;
        {T}* const whole = {vector};
        int team = 1;  /* the threads that did run: OpenMP may start fewer than asked for */
        #pragma omp parallel num_threads(threads) if(threads > 1)
        {{
            #ifdef _OPENMP
            const int thread = omp_get_thread_num();
            if (thread == 0) team = omp_get_num_threads();
            #else
            const int thread = 0;
            #endif
            {T}* __restrict__ {vector} = thread == 0 ? whole : copies + (thread - 1) * {length};
            if (thread > 0)  /* zeroed by the thread that adds into it, in its own cache */
                for (npy_intp j = 0; j < {length}; ++j) {vector}[j] = 0;
            #pragma omp for schedule(static)
            {loop}
        }}
        for (int thread = 1; thread < team; ++thread)
            for (npy_intp j = 0; j < {length}; ++j) whole[j] += copies[(thread - 1) * {length} + j];
        free(copies);
    }}"""


def _openmp_headers():
    """``omp.h`` where the ops are compiled with OpenMP (for the thread count and number)."""
    return ["omp.h"] if openmp_flags() == ["-fopenmp"] else []


def _rows(W, T):
    """C declarations of ``W``'s shape and strides in elements: ``m`` rows, ``n`` columns."""
    return f"""
    const npy_intp m = PyArray_DIMS({W})[0], n = PyArray_DIMS({W})[1];
    const npy_intp row_stride = PyArray_STRIDES({W})[0] / (npy_intp) sizeof({T});
    const npy_intp col_stride = PyArray_STRIDES({W})[1] / (npy_intp) sizeof({T});
    """


def _contiguous(vector, fail):
    """C code making ``<vector>_c``, a contiguous new reference to ``vector``."""
    return f"""
    PyArrayObject* {vector}_c = PyArray_GETCONTIGUOUS({vector});
    if ({vector}_c == NULL) {fail}
    """


def _output_vector(z, length, like, fail):
    """C code (re)allocating the output vector ``z`` with ``length`` entries of ``like``'s dtype."""
    return f"""
    if ({z} == NULL || PyArray_DIMS({z})[0] != {length} || !PyArray_IS_C_CONTIGUOUS({z})) {{
        Py_XDECREF({z});
        npy_intp dims[1] = {{{length}}};
        {z} = (PyArrayObject*) PyArray_EMPTY(1, dims, PyArray_TYPE({like}), 0);
        if ({z} == NULL) {fail}
    }}
    """


def _check_length(vector, W, axis, fail):
    """C code failing with a one-line ValueError unless ``vector`` has as many entries as ``W`` has along ``axis``."""
    return f"""
    if (PyArray_DIMS({vector})[0] != PyArray_DIMS({W})[{axis}]) {{
        PyErr_Format(PyExc_ValueError, "a %ldx%ld matrix with a vector of %ld entries (for its axis {axis})",
                     (long) PyArray_DIMS({W})[0], (long) PyArray_DIMS({W})[1], (long) PyArray_DIMS({vector})[0]);
        {fail}
    }}
    """


class RowGemv(COp):
    """``beta * y + alpha * (A @ x)`` for ``A`` = ``W.T`` (``transposed``) or ``W``, going over ``W``'s rows.

    PyTensor's ``CGemv`` with the same inputs (``W`` in place of ``A``).
    ``W.T @ x`` is ``x @ W``, the forward product of a batch-1 layer (``x``
    its input, ``W`` its ``n_in`` x ``n_out`` weights, ``y`` its bias): the
    rows of ``W`` scaled by ``x`` and added up, skipping zero entries of
    ``x``.  ``W @ x`` is a dot product per row.  As in BLAS, ``y`` is not
    read when ``beta`` is 0.  Equal to BLAS's ``gemv`` up to the order of the
    additions, and except that a zero input ignores its row even where the
    row holds an inf or a NaN (BLAS would give NaN there).
    """

    __props__ = ("transposed",)

    def __init__(self, transposed):
        self.transposed = transposed

    def make_node(self, y, alpha, W, x, beta):
        y, alpha, W, x, beta = _same_float_type(y, alpha, W, x, beta)
        return Apply(self, [y, alpha, W, x, beta], [y.type()])

    def perform(self, node, inputs, outputs):
        y, alpha, W, x, beta = inputs
        product = alpha * ((W.T if self.transposed else W) @ x)
        outputs[0][0] = numpy.asarray(product if beta == 0 else beta * y + product, dtype=W.dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [(shapes[2][1 if self.transposed else 0],)]

    def c_compile_args(self, **kwargs):
        return openmp_flags()

    def c_headers(self, **kwargs):
        return _openmp_headers()

    def c_code(self, node, name, inputs, outputs, sub):
        (y, alpha, W, x, beta), (z,), fail = inputs, outputs, sub["fail"]
        T = f"dtype_{W}"
        if self.transposed:
            loop = _parallel_rows_adding_into("out", "n", T, f"""
            for (npy_intp i = 0; i < m; ++i) {{
                if (xs[i] == 0) continue;
                const {T} scale = a * xs[i];
                const {T}* __restrict__ row = w + i * row_stride;
                {_over_columns("for (npy_intp j = 0; j < n; ++j) out[j] += scale * row[j * cs];")}
            }}""")
        else:
            row_dot = '_Pragma("omp simd reduction(+:dot)") for (npy_intp j = 0; j < n; ++j) dot += row[j * cs] * xs[j];'
            loop = f"""
            {_parallel_rows()}
            for (npy_intp i = 0; i < m; ++i) {{
                const {T}* __restrict__ row = w + i * row_stride;
                {T} dot = 0;
                {_over_columns(row_dot)}
                out[i] += a * dot;
            }}"""
        x_axis, y_axis, length = (0, 1, "n") if self.transposed else (1, 0, "m")
        return f"""
        {{
            {_check_length(x, W, x_axis, fail)}
            {_check_length(y, W, y_axis, fail)}
            {_rows(W, T)}
            {_contiguous(x, fail)}
            {_output_vector(z, length, W, f"{{ Py_DECREF({x}_c); {fail} }}")}
            const {T}* __restrict__ xs = (const {T}*) PyArray_DATA({x}_c);
            const {T}* w = (const {T}*) PyArray_DATA({W});
            {T}* __restrict__ out = ({T}*) PyArray_DATA({z});
            const {T} a = *(const {T}*) PyArray_DATA({alpha}), b = *(const {T}*) PyArray_DATA({beta});
            const char* ys = PyArray_BYTES({y});
            const npy_intp y_stride = PyArray_STRIDES({y})[0];
            for (npy_intp k = 0; k < {length}; ++k) out[k] = b == 0 ? 0 : b * *(const {T}*) (ys + k * y_stride);
            {loop}
            Py_DECREF({x}_c);
        }}
        """

    def c_code_cache_version(self):
        return (6,)


class RankOneUpdate(COp):
    """``W + alpha * outer(x, y)`` row by row, skipping the rows where ``x`` is zero; in place when ``destructive``.

    With ``product``, also returns ``beta * (x @ W)`` (``"xW"``) or
    ``beta * (W @ y)`` (``"Wy"``) of the ``W`` before the update, read in
    the same pass: the product that back-propagates through the layer
    whose weights the update changes.  ``beta`` is then the last input.
    """

    __props__ = ("destructive", "product")

    def __init__(self, destructive=False, product=None):
        if product not in (None, "xW", "Wy"):
            raise ValueError(f"product must be None, 'xW' or 'Wy', not {product!r}")
        self.destructive = destructive
        self.product = product
        if destructive:
            self.destroy_map = {0: [0]}

    def make_node(self, W, alpha, x, y, *beta):
        W, alpha, x, y, *beta = _same_float_type(W, alpha, x, y, *beta)
        if len(beta) != (self.product is not None):
            expected = 4 + (self.product is not None)
            raise TypeError(f"RankOneUpdate(product={self.product!r}) takes {expected} inputs, not {4 + len(beta)}")
        outputs = [W.type()]
        if self.product is not None:
            length = W.type.shape[1] if self.product == "xW" else W.type.shape[0]
            outputs.append(pt.vector(dtype=W.dtype, shape=(length,)))
        return Apply(self, [W, alpha, x, y, *beta], outputs)

    def perform(self, node, inputs, outputs):
        W, alpha, x, y, *beta = inputs
        if self.product is not None:
            outputs[1][0] = numpy.asarray(beta[0] * (x @ W if self.product == "xW" else W @ y), dtype=W.dtype)
        updated = W if self.destructive else W.copy()
        updated += numpy.asarray(alpha * numpy.outer(x, y), dtype=W.dtype)
        outputs[0][0] = updated

    def infer_shape(self, fgraph, node, shapes):
        w_shape = shapes[0]
        if self.product is None:
            return [w_shape]
        return [w_shape, (w_shape[1],) if self.product == "xW" else (w_shape[0],)]

    def c_compile_args(self, **kwargs):
        return openmp_flags()

    def c_headers(self, **kwargs):
        return _openmp_headers()

    def _row_loop(self, T):
        """The C loop over the rows of ``w`` for this op's ``product``."""
        if self.product is None:
            update = "for (npy_intp j = 0; j < n; ++j) row[j * cs] += scale * ys[j];"
            return f"""
            {_parallel_rows()}
            for (npy_intp i = 0; i < m; ++i) {{
                if (xs[i] == 0) continue;
                const {T} scale = a * xs[i];
                {T}* __restrict__ row = w + i * row_stride;
                {_over_columns(update)}
            }}"""
        if self.product == "xW":
            update = (f"for (npy_intp j = 0; j < n; ++j) {{ const {T} v = row[j * cs]; "
                      f"p[j] += weight * v; row[j * cs] = v + scale * ys[j]; }}")
            return "for (npy_intp j = 0; j < n; ++j) p[j] = 0;" + _parallel_rows_adding_into("p", "n", T, f"""
            for (npy_intp i = 0; i < m; ++i) {{
                if (xs[i] == 0) continue;
                const {T} scale = a * xs[i], weight = b * xs[i];
                {T}* __restrict__ row = w + i * row_stride;
                {_over_columns(update)}
            }}""")
        dot_and_update = f"""
            if (xs[i] == 0) {{
                #pragma omp simd reduction(+:dot)
                for (npy_intp j = 0; j < n; ++j) dot += row[j * cs] * ys[j];
            }} else {{
                #pragma omp simd reduction(+:dot)
                for (npy_intp j = 0; j < n; ++j) {{
                    const {T} v = row[j * cs];
                    dot += v * ys[j];
                    row[j * cs] = v + scale * ys[j];
                }}
            }}"""
        return f"""
            {_parallel_rows()}
            for (npy_intp i = 0; i < m; ++i) {{
                const {T} scale = a * xs[i];
                {T}* __restrict__ row = w + i * row_stride;
                {T} dot = 0;
                {_over_columns(dot_and_update)}
                p[i] = b * dot;
            }}"""

    def c_code(self, node, name, inputs, outputs, sub):
        W, alpha, x, y, *beta = inputs
        Z, *product = outputs
        fail = sub["fail"]
        T = f"dtype_{W}"
        release = f"Py_DECREF({x}_c); Py_DECREF({y}_c);"
        product_setup = ""
        if self.product is not None:
            length = "n" if self.product == "xW" else "m"
            product_setup = f"""
            {_output_vector(product[0], length, W, f"{{ {release} {fail} }}")}
            {T}* __restrict__ p = ({T}*) PyArray_DATA({product[0]});
            const {T} b = *(const {T}*) PyArray_DATA({beta[0]});
            """
        use_w = (f"if (PyArray_ISWRITEABLE({W})) {{ Py_XDECREF({Z}); {Z} = {W}; Py_INCREF({Z}); }} else"
                 if self.destructive else "")
        return f"""
        {{
            if (PyArray_NDIM({W}) != 2) {{ PyErr_SetString(PyExc_ValueError, "W must be a matrix"); {fail} }}
            {_check_length(x, W, 0, fail)}
            {_check_length(y, W, 1, fail)}
            {use_w} {{
                Py_XDECREF({Z});
                {Z} = (PyArrayObject*) PyArray_NewCopy({W}, NPY_CORDER);
                if ({Z} == NULL) {fail}
            }}
            {_contiguous(x, fail)}
            {_contiguous(y, f"{{ Py_DECREF({x}_c); {fail} }}")}
            {_rows(Z, T)}
            {T}* w = ({T}*) PyArray_DATA({Z});
            const {T}* __restrict__ xs = (const {T}*) PyArray_DATA({x}_c);
            const {T}* __restrict__ ys = (const {T}*) PyArray_DATA({y}_c);
            const {T} a = *(const {T}*) PyArray_DATA({alpha});
            {product_setup}
            {self._row_loop(T)}
            {release}
        }}
        """

    def c_code_cache_version(self):
        return (4,)


def _constant(variable):
    """``variable``'s constant scalar value, or None."""
    try:
        return float(pt.get_underlying_scalar_constant_value(variable))
    except NotScalarConstantError:
        return None


def _transposed(matrix):
    """The matrix that ``matrix`` is the transpose of, or None."""
    owner = matrix.owner
    if owner is not None and isinstance(owner.op, DimShuffle) and owner.op.is_matrix_transpose:
        return owner.inputs[0]
    return None


@node_rewriter([Dot])
def batch_one_dot_as_dot22(fgraph, node):
    """A product of matrices that is a matrix-vector product or an outer product (an operand is a row or a column)
    as PyTensor's ``Dot22``, which its BLAS rewrites turn into ``Gemv`` and ``Ger``.

    For the ``numba`` mode, whose linker leaves PyTensor's BLAS rewrites out: the other products stay ``Dot``.
    """
    x, y = node.inputs
    if x.ndim != 2 or y.ndim != 2 or x.dtype != y.dtype or x.dtype not in ("float32", "float64"):
        return None
    (x_row, x_column), (y_row, y_column) = x.broadcastable, y.broadcastable
    if not (x_row or y_column or (x_column and y_row)):
        return None
    return [_dot22(x, y)]


@node_rewriter([Gemv])
def gemv_by_rows(fgraph, node):
    """``Gemv(y, alpha, A, x, beta)`` (``CGemv`` in C, plain in Numba) as :class:`RowGemv` over ``W``,
    where ``A`` is ``W.T`` or a C-ordered ``W``."""
    y, alpha, A, x, beta = node.inputs
    W = _transposed(A)
    return [RowGemv(transposed=W is not None)(y, alpha, A if W is None else W, x, beta)]


def _product_of(fgraph, W, alpha, x, y):
    """A ``Gemv`` reading ``W`` for ``beta * (x @ W)`` or ``beta * (W @ y)`` that the update ``W + alpha * outer(x, y)``
    does not depend on: ``(kind, node)``, or None."""
    readers = [client for client, _ in fgraph.clients[W]]
    readers += [reader for client in readers if isinstance(client.op, DimShuffle) and client.op.is_matrix_transpose
                for reader, _ in fgraph.clients[client.outputs[0]]]
    needed = set(ancestors([alpha, x, y]))
    for reader in readers:
        if not isinstance(reader.op, Gemv) or _constant(reader.inputs[4]) != 0 or reader.outputs[0] in needed:
            continue
        _, _, A, vector, _ = reader.inputs
        if A is W and vector is y:
            return "Wy", reader
        if _transposed(A) is W and vector is x:
            return "xW", reader
    return None


@node_rewriter([Ger])
def rank_one_update_by_rows(fgraph, node):
    """``Ger`` (``CGer`` in C, plain in Numba) as :class:`RankOneUpdate`, computing in the same pass the gradient's
    product with the old ``W``.

    Of a chain of two updates (the dA's tied weights get two), the one
    whose product the graph needs is moved first, onto ``W`` itself.
    """
    W, alpha, x, y = node.inputs
    inner = W.owner if W.owner is not None and (isinstance(W.owner.op, Ger) or W.owner.op == RankOneUpdate()) else None
    for base, first in [(W, None)] + ([(inner.inputs[0], inner)] if inner is not None else []):
        found = _product_of(fgraph, base, alpha, x, y)
        if found is None:
            continue
        kind, gemv = found
        updated, product = RankOneUpdate(product=kind)(base, alpha, x, y, gemv.inputs[1])
        if first is not None:
            updated = RankOneUpdate()(updated, *first.inputs[1:])
        return {node.outputs[0]: updated, gemv.outputs[0]: product}
    return [RankOneUpdate()(W, alpha, x, y)]


@node_rewriter([RankOneUpdate])
def rank_one_update_in_place(fgraph, node):
    """Make a :class:`RankOneUpdate` write into its ``W`` (kept only where the destroy handler allows it)."""
    if node.op.destructive:
        return None
    return RankOneUpdate(destructive=True, product=node.op.product)(*node.inputs, return_list=True)
