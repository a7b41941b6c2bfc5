"""MRG31k3p: the random numbers Theano's ``MRG_RandomStreams`` drew for the tutorials.

MRG31k3p (L'Ecuyer and Touzin, 2000) combines two multiple recursive
generators of order 3, each on 31-bit integers:

    x1[n] = (2^22 x1[n-2] + (2^7 + 1) x1[n-3])  mod M1,   M1 = 2^31 - 1
    x2[n] = (2^15 x2[n-1] + (2^15 + 1) x2[n-3]) mod M2,   M2 = 2^31 - 21069

and returns ``(x1[n] - x2[n]) mod M1`` scaled into (0, 1).  Its state is six
integers.  Multiplying by a power of two modulo ``2^31 - c`` is a shift and a
fold, so a draw is a handful of integer operations; a jump ahead by ``2^k``
draws is a 3x3 matrix power, so far-apart substreams cost nothing to start.

Theano gave every ``uniform()`` call its own set of ``nstreams`` substreams,
``2^72`` draws apart, starting from the stream's state, then moved the stream
``2^134`` draws on for the next call; element ``i`` of a draw came from
substream ``i % nstreams``.  :class:`MRG_RandomStreams` does the same, so the
same seed gives Theano's numbers, to the bit in float64 and float32.

The draws run compiled in every mode: a C loop (``c``), the same loop under
Numba (``numba``) and the vectorised arithmetic in JAX (``jax``).
:func:`uniform_reference` is the plain-numpy version the tests hold them to.
"""

import numpy
from numba.np.unsafe import ndarray as numba_ndarray
import pytensor
import pytensor.tensor as pt
from pytensor.gradient import grad_undefined
from pytensor.graph import Apply, node_rewriter
from pytensor.link.c.op import COp
from pytensor.link.numba.dispatch import basic as numba_basic
from pytensor.tensor.exceptions import NotScalarConstantError

M1 = 2 ** 31 - 1
M2 = 2 ** 31 - 21069
A1 = ((0, 2 ** 22, 2 ** 7 + 1), (1, 0, 0), (0, 1, 0))  # (x1[n-1], x1[n-2], x1[n-3]) one draw on
A2 = ((2 ** 15, 0, 2 ** 15 + 1), (1, 0, 0), (0, 1, 0))
NORM = {"float64": 1.0 / 2 ** 31,
        # Theano's float32 scale: the largest float32 whose product with M1 stays below 1.0
        "float32": numpy.float32(4.6566126e-10)}
MAX_STREAMS = 60 * 256  # Theano's guess when the size is symbolic
NUMBA_CODE_VERSION = 4


def _matmul_mod(a, b, m):
    return tuple(tuple(sum(a[i][k] * b[k][j] for k in range(3)) % m for j in range(3)) for i in range(3))


def _power_of_two_jump(a, log2_steps, m):
    """``a^(2^log2_steps) mod m``, by squaring."""
    for _ in range(log2_steps):
        a = _matmul_mod(a, a, m)
    return a


SUBSTREAM_JUMP = (_power_of_two_jump(A1, 72, M1), _power_of_two_jump(A2, 72, M2))
STREAM_JUMP = (_power_of_two_jump(A1, 134, M1), _power_of_two_jump(A2, 134, M2))


def jump(state, matrices):
    """The six-integer ``state`` moved on by the jump ``matrices`` (one per component)."""
    (a1, a2), state = matrices, [int(s) for s in state]
    first = [sum(a1[i][k] * state[k] for k in range(3)) % M1 for i in range(3)]
    second = [sum(a2[i][k] * state[3 + k] for k in range(3)) % M2 for i in range(3)]
    return first + second


def substream_states(state, n_streams):
    """``(n_streams, 6)`` int32 states: ``state`` and each next one ``2^72`` draws further."""
    states = [list(state)]
    for _ in range(n_streams - 1):
        states.append(jump(states[-1], SUBSTREAM_JUMP))
    return numpy.asarray(states, dtype="int32")


def mrg31k3p_step(x11, x12, x13, x21, x22, x23, m1=M1, m2=M2):
    """One draw of every stream, from its state's six columns (arrays, numpy or JAX).

    numpy steps int64 columns; JAX steps uint32 ones (with ``m1``, ``m2`` as
    uint32, so that nothing widens), which every intermediate sum fits.

    :returns: ``(y1, y2, integers)``: the two components' new values (the
              states move on to ``y1, x11, x12, y2, x21, x22``) and the draws'
              integers in 1..M1
    """
    y1 = ((x12 & 511) << 22) + (x12 >> 9) + ((x13 & 16777215) << 7) + (x13 >> 24)  # 2^22 x12 + 2^7 x13
    y1 -= m1 * (y1 >= m1)  # each sum is below twice the modulus: one subtraction reduces it
    y1 += x13
    y1 -= m1 * (y1 >= m1)
    z1 = ((x21 & 65535) << 15) + 21069 * (x21 >> 16)  # 2^15 x21, as 2^31 = 21069 (mod M2)
    z1 -= m2 * (z1 >= m2)
    y2 = ((x23 & 65535) << 15) + 21069 * (x23 >> 16)
    y2 -= m2 * (y2 >= m2)
    y2 += x23
    y2 -= m2 * (y2 >= m2)
    y2 += z1
    y2 -= m2 * (y2 >= m2)
    return y1, y2, y1 - y2 + m1 * (y1 <= y2)


def draw_integers(states, n_elements):
    """Advance the int64 ``states`` in place by ``n_elements`` MRG31k3p draws; return the draws' integers (1..M1).

    Element ``i`` comes from stream ``i % n_streams``: rounds over the
    streams, each stream's step vectorised across them.  Plain numpy, the
    reference the tests hold every mode to.
    """
    n_streams = states.shape[0]
    integers = numpy.empty(n_elements, dtype=numpy.int64)
    for start in range(0, n_elements, n_streams):
        used = min(n_streams, n_elements - start)
        x11, x12, x13, x21, x22, x23 = (states[:used, k].copy() for k in range(6))
        y1, y2, integers[start:start + used] = mrg31k3p_step(x11, x12, x13, x21, x22, x23)
        states[:used] = numpy.stack([y1, x11, x12, y2, x21, x22], axis=1)
    return integers


def uniform_reference(states, size, dtype):
    """Plain numpy: ``(new states, uniform draws of shape size)`` as Theano's ``mrg_uniform`` gives them."""
    states = numpy.array(states, dtype="int64")
    integers = draw_integers(states, int(numpy.prod(size, dtype="int64")))
    samples = integers.astype(dtype) * numpy.asarray(NORM[dtype], dtype=dtype)
    return states.astype("int32"), samples.reshape(tuple(size))


class MRGUniform(COp):
    """``(states, size) -> (new states, uniform draws)``: MRG31k3p draws, element ``i`` from stream ``i % n``."""

    __props__ = ("dtype", "inplace")

    def __init__(self, dtype, inplace=False):
        self.dtype, self.inplace = str(dtype), bool(inplace)
        if self.dtype not in NORM:
            raise ValueError(f"MRG draws are float32 or float64, not {dtype}")
        if inplace:
            self.destroy_map = {0: [0]}

    def make_node(self, states, size):
        states, size = pt.as_tensor_variable(states), pt.as_tensor_variable(size, ndim=1)
        if states.type.dtype != "int32" or states.ndim != 2:
            raise TypeError("MRG states must be an int32 matrix (n_streams, 6)")
        ndim = pt.get_vector_length(size)
        shape = tuple(None if s is None else int(s) for s in _static_entries(size, ndim))
        draws = pt.tensor(dtype=self.dtype, shape=shape)
        return Apply(self, [states, pt.cast(size, "int64")], [states.type(), draws])

    def perform(self, node, inputs, outputs):
        states, size = inputs
        outputs[0][0], outputs[1][0] = uniform_reference(states, size, self.dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0], [node.inputs[1][i] for i in range(node.outputs[1].ndim)]]

    def pullback(self, inputs, outputs, cotangents):
        return [grad_undefined(self, i, x, "no gradient through a random draw") for i, x in enumerate(inputs)]

    def c_code_cache_version(self):
        return (8,)

    def c_code(self, node, name, inputs, outputs, sub):
        states, size = inputs
        new_states, draws = outputs
        ndim, fail = node.outputs[1].ndim, sub["fail"]
        ctype = "float" if self.dtype == "float32" else "double"
        norm = "4.6566126e-10f" if self.dtype == "float32" else "4.656612873077392578125e-10"
        type_num = "NPY_FLOAT32" if self.dtype == "float32" else "NPY_FLOAT64"
        if self.inplace:
            take = f"Py_XDECREF({new_states}); {new_states} = {states}; Py_INCREF({new_states});"
        else:  # into the output's own array when it has one of the right shape (scan preallocates it)
            take = f"""
            if (!{new_states} || {new_states} == {states} || !PyArray_IS_C_CONTIGUOUS({new_states})
                || PyArray_DIMS({new_states})[0] != PyArray_DIMS({states})[0] || PyArray_DIMS({new_states})[1] != 6) {{
                Py_XDECREF({new_states});
                {new_states} = (PyArrayObject*)PyArray_NewCopy({states}, NPY_CORDER);
            }} else if (PyArray_CopyInto({new_states}, {states}) != 0) {{
                {fail}
            }}"""
        return f"""
        {{
        npy_intp dims[{max(ndim, 1)}];
        npy_int64 n_elements = 1;
        for (int d = 0; d < {ndim}; ++d) {{
            dims[d] = ((npy_int64*)PyArray_GETPTR1({size}, d))[0];
            n_elements *= dims[d];
        }}
        if (PyArray_DIMS({states})[1] != 6 || PyArray_DIMS({states})[0] < 1 || !PyArray_IS_C_CONTIGUOUS({states})) {{
            PyErr_SetString(PyExc_ValueError, "MRG states must be a C-contiguous (n_streams >= 1, 6) matrix");
            {fail}
        }}
        {take}
        if (!{new_states}) {{ {fail} }}
        int reuse = {draws} != NULL && PyArray_IS_C_CONTIGUOUS({draws});
        for (int d = 0; reuse && d < {ndim}; ++d) reuse = PyArray_DIMS({draws})[d] == dims[d];
        if (!reuse) {{
            Py_XDECREF({draws});
            {draws} = (PyArrayObject*)PyArray_EMPTY({ndim}, dims, {type_num}, 0);
            if (!{draws}) {{ {fail} }}
        }}
        npy_int32* all_states = (npy_int32*)PyArray_DATA({new_states});
        {ctype}* out = ({ctype}*)PyArray_DATA({draws});
        const npy_int64 n_streams = PyArray_DIMS({new_states})[0];
        /* element i is drawn from stream i % n_streams: rounds over the streams, each taken in blocks
           whose states are copied into columns, so that the arithmetic runs in SIMD lanes */
        enum {{ BLOCK = 256 }};
        const npy_uint32 M1 = {M1}u, M2 = {M2}u;
        npy_uint32 x11[BLOCK], x12[BLOCK], x13[BLOCK], x21[BLOCK], x22[BLOCK], x23[BLOCK], y1[BLOCK], y2[BLOCK];
        for (npy_int64 start = 0; start < n_elements; start += n_streams) {{
            const npy_int64 used = n_elements - start < n_streams ? n_elements - start : n_streams;
            for (npy_int64 first = 0; first < used; first += BLOCK) {{
                const int len = used - first < BLOCK ? (int)(used - first) : BLOCK;
                npy_int32* s = all_states + first * 6;
                for (int k = 0; k < len; ++k) {{
                    x11[k] = s[6 * k]; x12[k] = s[6 * k + 1]; x13[k] = s[6 * k + 2];
                    x21[k] = s[6 * k + 3]; x22[k] = s[6 * k + 4]; x23[k] = s[6 * k + 5];
                }}
                {ctype}* o = out + start + first;
                /* every sum stays under 2^32; y - m where y >= m, by masks, which vectorise */
                for (int k = 0; k < len; ++k) {{
                    npy_uint32 a = ((x12[k] & 511u) << 22) + (x12[k] >> 9)
                                   + ((x13[k] & 16777215u) << 7) + (x13[k] >> 24);
                    a -= M1 & -(npy_uint32)(a >= M1);
                    a += x13[k];
                    a -= M1 & -(npy_uint32)(a >= M1);
                    npy_uint32 z = ((x21[k] & 65535u) << 15) + 21069u * (x21[k] >> 16);
                    z -= M2 & -(npy_uint32)(z >= M2);
                    npy_uint32 b = ((x23[k] & 65535u) << 15) + 21069u * (x23[k] >> 16);
                    b -= M2 & -(npy_uint32)(b >= M2);
                    b += x23[k];
                    b -= M2 & -(npy_uint32)(b >= M2);
                    b += z;
                    b -= M2 & -(npy_uint32)(b >= M2);
                    y1[k] = a;
                    y2[k] = b;
                    const npy_uint32 d = a - b + (M1 & -(npy_uint32)(a <= b));  /* M1 added where a <= b */
                    o[k] = ({ctype})(npy_int32)d * {norm};
                }}
                for (int k = 0; k < len; ++k) {{
                    s[6 * k] = y1[k]; s[6 * k + 1] = x11[k]; s[6 * k + 2] = x12[k];
                    s[6 * k + 3] = y2[k]; s[6 * k + 4] = x21[k]; s[6 * k + 5] = x22[k];
                }}
            }}
        }}
        }}
        """


def _static_entries(size, ndim):
    """The entries of the size vector known when the graph is built (None where not)."""
    entries = []
    for i in range(ndim):
        try:
            entries.append(pt.get_underlying_scalar_constant_value(size[i]))
        except NotScalarConstantError:
            entries.append(None)
    return entries


@node_rewriter([MRGUniform], inplace=True)
def mrg_uniform_inplace(fgraph, node):
    """Advance the streams in place: the state is a shared variable the draw replaces anyway."""
    if node.op.inplace:
        return None
    return MRGUniform(node.op.dtype, inplace=True).make_node(*node.inputs).outputs


def _numba_draw_kernel(to_float):
    """The C loop's blocked, branch-free uint32 arithmetic as a Numba function (several times faster than arrays).

    ``to_float`` converts the integer before it is scaled: float32 products, as the C code's.
    """
    m1, m2, mask = numpy.uint32(M1), numpy.uint32(M2), numpy.uint32

    @numba_basic.numba_njit
    def draw(states, out, norm):
        n_streams, n_elements = states.shape[0], out.shape[0]
        columns, steps = numpy.empty((6, 256), numpy.uint32), numpy.empty((2, 256), numpy.uint32)
        x11, x12, x13, x21, x22, x23 = columns[0], columns[1], columns[2], columns[3], columns[4], columns[5]
        y1, y2 = steps[0], steps[1]
        for start in range(0, n_elements, n_streams):
            used = min(n_streams, n_elements - start)
            for first in range(0, used, 256):
                n = min(256, used - first)
                for k in range(n):
                    for c in range(6):
                        columns[c, k] = states[first + k, c]
                for k in range(n):
                    a = (((x12[k] & mask(511)) << mask(22)) + (x12[k] >> mask(9))
                         + ((x13[k] & mask(16777215)) << mask(7)) + (x13[k] >> mask(24)))
                    a -= m1 * mask(a >= m1)
                    a += x13[k]
                    a -= m1 * mask(a >= m1)
                    z = ((x21[k] & mask(65535)) << mask(15)) + mask(21069) * (x21[k] >> mask(16))
                    z -= m2 * mask(z >= m2)
                    b = ((x23[k] & mask(65535)) << mask(15)) + mask(21069) * (x23[k] >> mask(16))
                    b -= m2 * mask(b >= m2)
                    b += x23[k]
                    b -= m2 * mask(b >= m2)
                    b += z
                    b -= m2 * mask(b >= m2)
                    y1[k], y2[k] = a, b
                    out[start + first + k] = to_float(numpy.int32(a - b + m1 * mask(a <= b))) * norm
                for k in range(n):
                    row = states[first + k]
                    row[0], row[1], row[2], row[3], row[4], row[5] = y1[k], x11[k], x12[k], y2[k], x21[k], x22[k]

    return draw


@numba_basic.register_funcify_default_op_cache_key(MRGUniform)
def _numba_mrg_uniform(op, node, **kwargs):
    inplace, ndim = op.inplace, node.outputs[1].ndim
    to_float, norm = (numpy.float32, NORM["float32"]) if op.dtype == "float32" else (numpy.float64, NORM["float64"])
    draw = _numba_draw_kernel(to_float)

    @numba_basic.numba_njit
    def mrg_uniform(states, size):
        n_elements = 1
        for d in size:
            n_elements *= d
        new_states = states if inplace else states.copy()
        samples = numpy.empty(n_elements, dtype=to_float)
        draw(new_states, samples, norm)
        return new_states, samples.reshape(numba_ndarray.to_fixed_tuple(size, ndim))

    # PyTensor caches the compiled function under the op's props and this number: the rank it was
    # compiled for, and a version to bump whenever the code above changes
    return mrg_uniform, 100 * NUMBA_CODE_VERSION + ndim


def _jax_mrg_uniform(op, node, **kwargs):
    import jax.numpy as jnp

    norm, static_shape = jnp.asarray(NORM[op.dtype], dtype=op.dtype), node.outputs[1].type.shape

    def mrg_uniform(states, size):
        # the static shape, else the size: a constant, or a tuple of static shapes (jax_size_as_tuple)
        shape = static_shape if None not in static_shape else tuple(int(s) for s in size)
        n_elements, n_streams, pieces = int(numpy.prod(shape, dtype="int64")), states.shape[0], []
        for start in range(0, n_elements, n_streams):
            used = min(n_streams, n_elements - start)
            x11, x12, x13, x21, x22, x23 = (states[:used, k].astype(jnp.uint32) for k in range(6))
            y1, y2, integers = mrg31k3p_step(x11, x12, x13, x21, x22, x23, jnp.uint32(M1), jnp.uint32(M2))
            states = states.at[:used].set(jnp.stack([y1, x11, x12, y2, x21, x22], axis=1).astype(jnp.int32))
            pieces.append(integers.astype(jnp.int32))
        draws = jnp.concatenate(pieces).astype(op.dtype) * norm
        return states, draws.reshape(shape)

    return mrg_uniform


def register_jax_implementation():
    """Teach PyTensor's JAX backend the op (called when a jax mode is made: JAX is optional)."""
    from pytensor.link.jax.dispatch import jax_funcify

    jax_funcify.register(MRGUniform)(_jax_mrg_uniform)


@node_rewriter([MRGUniform])
def jax_size_as_tuple(fgraph, node):
    """Hand JAX the draw's size as a tuple of static sizes, as PyTensor does for its own random draws.

    A size built from ``x.shape`` is a traced array under JAX, from which no
    array can be shaped; the entries of a shape are plain ints when traced.
    """
    from pytensor.link.jax.dispatch.shape import JAXShapeTuple
    from pytensor.tensor.basic import MakeVector

    size = node.inputs[1].owner
    if size is None or not isinstance(size.op, MakeVector):
        return None
    return node.op.make_node(node.inputs[0], JAXShapeTuple()(*size.inputs)).outputs


def guess_n_streams(size):
    """Theano's choice: a sixth of the elements (at most 15360) for a size of plain ints, else 15360."""
    if isinstance(size, (tuple, list)) and all(isinstance(s, (int, numpy.integer)) for s in size):
        n = int(numpy.prod(size, dtype="int64"))
        return max(1, min(n // 6 if n > 6 else n, MAX_STREAMS))
    return MAX_STREAMS


class MRG_RandomStreams:
    """Theano's ``MRG_RandomStreams``: symbolic uniform, binomial and normal draws from MRG31k3p.

    :param seed: an int below ``M2`` (copied into all six state entries, as
                 Theano did), or six ints: three below ``M1`` not all 0, three
                 below ``M2`` not all 0

    Each draw is a shared state matrix with a ``default_update``, so a
    compiled function advances it at every call, as ``RandomStreams`` does.
    """

    def __init__(self, seed=12345):
        self.state_updates = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def set_rstate(self, seed):
        """Start the stream at ``seed`` (see the class docstring for what a seed may be)."""
        if isinstance(seed, (int, numpy.integer)):
            if not 0 < seed < M2:
                raise ValueError(f"an MRG seed must be an integer in 1..{M2 - 1}, got {seed}")
            self.rstate = [int(seed)] * 6
        elif len(seed) == 6:
            seed = [int(s) for s in seed]
            if not (all(0 <= s < M1 for s in seed[:3]) and any(seed[:3])
                    and all(0 <= s < M2 for s in seed[3:]) and any(seed[3:])):
                raise ValueError(f"an MRG seed of six integers needs three in 0..{M1 - 1} and three in "
                                 f"0..{M2 - 1}, neither three all 0; got {seed}")
            self.rstate = seed
        else:
            raise TypeError("an MRG seed is one integer or six integers")

    def seed(self, seed=None):
        """Start every draw made so far afresh from ``seed`` (default: the seed given at construction)."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for states, _, n_streams in self.state_updates:
            states.set_value(self.get_substream_rstates(n_streams), borrow=True)

    def inc_rstate(self):
        """Move the stream ``2^134`` draws on: where the next draw's substreams start."""
        self.rstate = jump(self.rstate, STREAM_JUMP)

    def get_substream_rstates(self, n_streams, dtype=None, inc_rstate=True):
        """``n_streams`` substream states ``2^72`` draws apart; then (by default) move the stream on."""
        states = substream_states(self.rstate, n_streams)
        if inc_rstate:
            self.inc_rstate()
        return states

    def n_streams(self, size):
        return guess_n_streams(size)

    def updates(self):
        return [(states, new) for states, new, _ in self.state_updates]

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        """Draws uniform in (low, high), of shape ``size`` (ints or a symbolic shape)."""
        dtype = dtype or pytensor.scalar.upcast(pytensor.config.floatX, *(_float_dtype(v) for v in (low, high)))
        low, high = pt.cast(low, dtype), pt.cast(high, dtype)
        n_streams = nstreams or self.n_streams(size)
        states = pytensor.shared(self.get_substream_rstates(n_streams), name="mrg_states")
        size = pt.as_tensor_variable(size, ndim=1) if ndim is None else pt.as_tensor_variable(size)
        new_states, draws = MRGUniform(dtype)(states, size)
        states.default_update = new_states
        self.state_updates.append((states, new_states, n_streams))
        return draws * (high - low) + low

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None):
        """0/1 draws, 1 with probability ``p`` (only ``n=1``, as in Theano)."""
        if n != 1:
            raise NotImplementedError("MRG_RandomStreams.binomial draws only n=1")
        size = pt.as_tensor_variable(p).shape if size is None else size
        return pt.cast(self.uniform(size=size, nstreams=nstreams) < p, dtype)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Gaussian draws by the Box-Muller transform of an even number of uniform draws, as Theano."""
        dtype = dtype or pytensor.scalar.upcast(pytensor.config.floatX, *(_float_dtype(v) for v in (avg, std)))
        size = pt.as_tensor_variable(size, ndim=1)
        n = pt.prod(size, dtype="int64")
        half = (n + n % 2) // 2
        u = self.uniform((2 * half,), dtype=dtype, nstreams=nstreams)
        radius = pt.sqrt(-2.0 * pt.log(u[:half]))
        angle = numpy.asarray(2 * numpy.pi, dtype=dtype) * u[half:]
        samples = pt.join(0, radius * pt.cos(angle), radius * pt.sin(angle))[:n]
        return samples.reshape(size, ndim=pt.get_vector_length(size)) * pt.cast(std, dtype) + pt.cast(avg, dtype)


def _float_dtype(value):
    """The dtype Theano gave a bound: a Python float is floatX, a tensor keeps its own."""
    return value.dtype if hasattr(value, "dtype") and not isinstance(value, float) else pytensor.config.floatX
