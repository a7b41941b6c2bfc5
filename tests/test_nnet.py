"""conv2d and pool_2d against plain numpy/scipy references, their gradients, and their errors."""

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
import scipy.signal
from pytensor.gradient import verify_grad
from pytensor.tensor.elemwise import CAReduce

from dltutorial.core.compile import compile_function, pytensor_function
from dltutorial.core.modes import available_modes, compile_mode
from dltutorial.core.nnet import conv2d, pool_2d
from dltutorial.core import convolution
from dltutorial.core.convolution import Convolution, FiltersGradient, InputGradient

from .bounds import assert_within, gamma

CONV_CASES = [  # (input shape, filter shape)
    ((2, 1, 7, 9), (3, 1, 3, 2)),
    ((3, 4, 6, 5), (2, 4, 5, 1)),
    ((1, 2, 5, 5), (4, 2, 5, 5)),
    ((4, 3, 11, 8), (5, 3, 4, 3)),
]


def reference_conv2d(images, filters, border_mode="valid", filter_flip=True):
    """Theano's conv2d, one scipy.signal.convolve2d per (example, filter, channel)."""
    if not filter_flip:
        filters = filters[:, :, ::-1, ::-1]
    out = [[sum(scipy.signal.convolve2d(image[c], kernel[c], mode=border_mode) for c in range(len(image)))
            for kernel in filters] for image in images]
    return numpy.array(out)


def reference_pool(images, ws, ignore_border, mode):
    """Pool by looping over windows in numpy."""
    rows, cols = images.shape[-2:]
    out_rows = rows // ws[0] if ignore_border else -(-rows // ws[0])
    out_cols = cols // ws[1] if ignore_border else -(-cols // ws[1])
    out = numpy.empty(images.shape[:-2] + (out_rows, out_cols), images.dtype)
    for r in range(out_rows):
        for c in range(out_cols):
            window = images[..., r * ws[0]:(r + 1) * ws[0], c * ws[1]:(c + 1) * ws[1]]
            reduce = {"max": numpy.max, "sum": numpy.sum}.get(mode, numpy.mean)
            out[..., r, c] = reduce(window, axis=(-2, -1))
    return out


@pytest.mark.parametrize("floatX", ["float32", "float64"])
@pytest.mark.parametrize("mode", available_modes())
def test_conv2d_matches_scipy(mode, floatX):
    """Every case in one compiled function (static shapes, as JAX needs), against scipy."""
    rng = numpy.random.RandomState(0)
    inputs, values, outputs, wanted, errors = [], [], [], [], []
    for input_shape, filter_shape in CONV_CASES:
        x = pt.tensor4(dtype=floatX, shape=input_shape)
        w = pt.tensor4(dtype=floatX, shape=filter_shape)
        images = rng.randn(*input_shape).astype(floatX)
        filters = rng.randn(*filter_shape).astype(floatX)
        inputs += [x, w]
        values += [images, filters]
        for border_mode in ("valid", "full"):
            for flip in (True, False):
                outputs.append(conv2d(x, w, border_mode=border_mode, filter_flip=flip))
                wanted.append(reference_conv2d(images, filters, border_mode, flip))
                # each output adds channels x filter rows x filter columns products, in any order, on each side
                errors.append(2 * gamma(numpy.prod(filter_shape[1:]), floatX)
                              * reference_conv2d(abs(images), abs(filters), border_mode, flip))
    got = compile_function(inputs, outputs, mode=mode)(*values)
    for g, want, error in zip(got, wanted, errors):
        assert g.dtype == floatX and g.shape == want.shape
        assert_within(g, want, error, "convolution")


def test_conv2d_with_shapes_known_only_at_run_time(float64):
    rng = numpy.random.RandomState(3)
    images, filters = rng.randn(3, 2, 6, 5), rng.randn(4, 2, 3, 3)
    x, w = pt.tensor4("x"), pt.tensor4("w")
    got = compile_function([x, w], conv2d(x, w, filter_shape=(None, None, 3, 3)))(images, filters)
    assert_within(got, reference_conv2d(images, filters),
                  2 * gamma(2 * 3 * 3, "float64") * reference_conv2d(abs(images), abs(filters)), "convolution")


@pytest.mark.parametrize("floatX", ["float32", "float64"])
@pytest.mark.parametrize("mode", available_modes())
def test_pool_2d_matches_numpy(mode, floatX):
    rng = numpy.random.RandomState(1)
    images = rng.randn(3, 2, 7, 5).astype(floatX)
    x = pt.tensor4("x", dtype=floatX, shape=images.shape)
    outputs, wanted, errors = [], [], []
    for ws in [(2, 2), (3, 2), (1, 5)]:
        for ignore_border in (True, False):
            for pool_mode in ("max", "sum", "average_exc_pad"):
                outputs.append(pool_2d(x, ws, ignore_border, mode=pool_mode))
                wanted.append(reference_pool(images, ws, ignore_border, pool_mode))
                # a maximum is exact; a window's sum (and its mean's division) rounds at most ws[0] * ws[1] times
                errors.append(0 if pool_mode == "max" else
                              2 * gamma(numpy.prod(ws), floatX) * reference_pool(abs(images), ws, ignore_border,
                                                                                 pool_mode))
    got = compile_function([x], outputs, mode=mode)(images)
    for g, want, error in zip(got, wanted, errors):
        assert g.shape == want.shape
        assert_within(g, want, error, "pooling")


def test_pool_2d_drops_ragged_edge(float64):
    x = pt.tensor4("x")
    images = numpy.arange(25.0).reshape(1, 1, 5, 5)
    kept = compile_function([x], pool_2d(x, (2, 2), ignore_border=True))(images)
    numpy.testing.assert_array_equal(kept[0, 0], [[6, 8], [16, 18]])
    padded = compile_function([x], pool_2d(x, (2, 2), ignore_border=False))(images)
    numpy.testing.assert_array_equal(padded[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])


def test_conv2d_and_pool_gradients(float64):
    rng = numpy.random.RandomState(2)
    images = rng.randn(2, 3, 6, 7)
    filters = rng.randn(4, 3, 3, 2)

    def layer(x, w):
        return pt.tanh(pool_2d(conv2d(x, w, filter_shape=(4, 3, 3, 2)), (2, 2), ignore_border=True))

    mode = compile_mode()
    verify_grad(layer, [images, filters], rng=rng, mode=mode)
    verify_grad(lambda x: pool_2d(x, (2, 3), ignore_border=False, mode="average_exc_pad"), [images], rng=rng,
                mode=mode)


def test_the_convolution_ops_are_each_others_gradients(float64):
    """The gradient ops' own gradients (second derivatives of conv2d) are the other two ops."""
    rng = numpy.random.RandomState(3)
    images, filters = rng.randn(2, 3, 6, 5), rng.randn(4, 3 * 4 * 3)
    g = rng.randn(4, 3, 3, 2)  # (n_filters, out_rows, out_cols, batch)
    mode = compile_mode()
    verify_grad(lambda w, x: Convolution(4, 3)(w, x), [filters, images], rng=rng, mode=mode)
    verify_grad(lambda x, g: FiltersGradient(4, 3)(x, g), [images, g], rng=rng, mode=mode)
    verify_grad(lambda w, g: InputGradient(4, 3)(w, g, pt.constant(images)), [filters, g], rng=rng, mode=mode)


@pytest.mark.parametrize("mode", available_modes())
def test_conv2d_gradients_called_again_are_those_of_a_first_call(mode, float64):
    """The C backend writes each step's patch matrices into the last step's arrays: nothing of the last step stays."""
    x, w = pt.tensor("x", shape=(2, 3, 6, 7)), pt.tensor("w", shape=(4, 3, 3, 2))  # static shapes, for JAX
    grad_x, grad_w = pytensor.grad((conv2d(pt.tanh(x), w) ** 2).sum(), [x, w])
    grads = [(grad_x ** 2).sum(axis=0), grad_w]  # the patch ops' results stay inside the step
    rng = numpy.random.RandomState(3)
    first, second, filters = rng.randn(2, 3, 6, 7), rng.randn(2, 3, 6, 7), rng.randn(4, 3, 3, 2)
    called_twice = compile_function([x, w], grads, mode=mode)
    called_twice(first, filters)
    again = called_twice(second, filters)
    fresh = compile_function([x, w], grads, mode=mode)(second, filters)
    # the same code on the same inputs, but arrays at other addresses may take a vectorised loop's other path: the
    # longest sum is the filters' gradient over 2 images x 4 x 6 positions, after the forward's 18-term products
    rtol = gamma(2 * 4 * 6 + 2 * 18 + 4, "float64")
    for got, wanted in zip(again, fresh):
        assert_within(got, wanted, rtol * (abs(wanted) + abs(wanted).max()), "gradient")
    assert not numpy.allclose(again[0], called_twice(first, filters)[0])


def test_max_pool_gradient_goes_to_every_tied_max(float64):
    x = pt.tensor4("x")
    grad = pytensor.grad(pool_2d(x, (2, 2)).sum(), x)
    images = numpy.array([[[[1.0, 1.0], [0.0, 1.0]]]])
    numpy.testing.assert_array_equal(compile_function([x], grad)(images)[0, 0], [[1, 1], [0, 1]])


def test_pooling_reduces_over_five_axes_at_most():
    """PyTensor's C reduction ran 7-8x slower over six axes (see nnet._window_reduce)."""
    x = pt.tensor4("x")
    fn = pytensor_function(compile_function([x], [pool_2d(x, (2, 2)), pool_2d(x, (2, 3), mode="sum")], mode="c"))
    reductions = [node for node in fn.maker.fgraph.apply_nodes if isinstance(node.op, CAReduce)]
    assert len(reductions) == 2 and all(node.inputs[0].ndim <= 5 for node in reductions)


@pytest.mark.parametrize("kwargs, message", [
    ({"stride": (1, 1)}, "non-overlapping"),
    ({"pad": (1, 1)}, "padding"),
    ({"mode": "median"}, "unknown mode"),
    ({"ws": (0, 2)}, "positive"),
])
def test_pool_2d_rejects_unsupported_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool_2d(pt.tensor4("x"), **{"ws": (2, 2), **kwargs})


def test_conv2d_rejects_bad_shapes():
    x, w = pt.tensor4("x"), pt.tensor4("w")
    with pytest.raises(ValueError, match="filter size"):
        conv2d(x, w)
    with pytest.raises(ValueError, match="channels"):
        conv2d(x, w, filter_shape=(2, 3, 3, 3), input_shape=(None, 2, 8, 8))
    with pytest.raises(ValueError, match="border_mode"):
        conv2d(x, w, filter_shape=(2, 3, 3, 3), border_mode="half")
    with pytest.raises(ValueError, match="4-D"):
        conv2d(pt.matrix("x"), w, filter_shape=(2, 3, 3, 3))


def test_conv2d_called_again_with_other_shapes_reuses_nothing_of_the_last_call(float64):
    """The patch ops write into last call's array when its shape fits: a call with another shape gets a new one."""
    x, w = pt.tensor4("x"), pt.tensor4("w")
    convolve = compile_function([x, w], conv2d(x, w, filter_shape=(None, None, 3, 2)), mode="c")
    rng = numpy.random.RandomState(4)
    for images_shape, filters_shape in [((2, 3, 6, 7), (4, 3, 3, 2)), ((3, 3, 8, 5), (2, 3, 3, 2)),
                                        ((1, 1, 4, 4), (1, 1, 3, 2)), ((2, 3, 6, 7), (4, 3, 3, 2))]:
        images, filters = rng.randn(*images_shape), rng.randn(*filters_shape)
        assert_within(convolve(images, filters), reference_conv2d(images, filters),
                      2 * gamma(numpy.prod(filters_shape[1:]), "float64")
                      * reference_conv2d(abs(images), abs(filters)), f"convolution of {images_shape}")


@pytest.mark.parametrize("rows_at_once", [1, 2, 4])
def test_the_convolution_loops_give_the_same_products_a_block_of_rows_at_a_time(rows_at_once):
    """Built whole (4 output rows here) or a few rows at a time, the patches give the products of the whole matrix."""
    rng = numpy.random.RandomState(5)
    x, filters = rng.randn(3, 2, 6, 5).astype("float32"), rng.randn(4, 2 * 3 * 2).astype("float32")
    g = rng.randn(4, 4, 4, 3).astype("float32")  # (n_filters, out_rows, out_cols, batch)
    taps = numpy.stack([x[:, :, i:i + 4, j:j + 4] for i in range(3) for j in range(2)], axis=2)  # (b, ch, tap, r, c)
    patches = taps.transpose(1, 2, 3, 4, 0).reshape(12, -1).astype("float64")  # exact: float32 values in float64

    def added_back(columns):  # each column onto its window, batch-last
        image = numpy.zeros((2, 6, 5, 3))
        for ch in range(2):
            for t, (i, j) in enumerate((i, j) for i in range(3) for j in range(2)):
                image[ch, i:i + 4, j:j + 4] += columns[ch * 6 + t].reshape(4, 4, 3)
        return image

    cases = [(convolution.convolve(filters, x, 3, 2, rows_at_once), filters.astype("float64") @ patches,
              abs(filters) @ abs(patches), 12),
             (convolution.filters_gradient(x, g, 3, 2, rows_at_once), g.reshape(4, -1) @ patches.T,
              abs(g.reshape(4, -1)) @ abs(patches.T), 48),
             (convolution.input_gradient(filters, g, x.shape, 3, 2, rows_at_once),
              added_back(filters.T.astype("float64") @ g.reshape(4, -1)),
              added_back(abs(filters.T) @ abs(g.reshape(4, -1))), 4 + 6)]
    for got, exact, magnitude, terms in cases:
        assert got.dtype == numpy.float32
        assert_within(got.reshape(exact.shape), exact, 2 * gamma(terms, "float32") * (magnitude + abs(exact).max()),
                      f"{rows_at_once} rows at once")


def test_patch_matrices_past_32_mib_are_built_one_output_row_at_a_time():
    assert convolution.block_rows((500, 1, 28, 28), 5, 5, 4) == 24  # LeNet's first layer: 28.8 MB, whole
    assert convolution.block_rows((500, 20, 12, 12), 5, 5, 4) == 1  # its second: 64 MB
    assert convolution.block_rows((500, 1, 28, 28), 5, 5, 8) == 1  # the first in float64: 57.6 MB
