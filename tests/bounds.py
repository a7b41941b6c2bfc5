"""Floating-point tolerances from error bounds, not from what one CPU happened to give.

Two computations of one value (ours and numpy's, or a graph with and one
without our rewrites) may round differently on another machine: the C code is
compiled for the CPU it runs on (wider vector units add a sum's terms in
another order) and BLAS picks its kernels by CPU and thread count.  The bounds
below are the textbook ones (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., chapters 3 and 4): they hold whatever the order of the
operations, so a test that uses them holds on any CPU and with any number of
threads.  Bit-for-bit equality is asserted only where the same code runs twice
on the same machine (a resumed run against an uninterrupted one, a rerun from
the same seed).
"""

import numpy

# glibc's vector maths (libmvec), which our C code calls for tanh, exp, log ..., is accurate to 4 ulp; its scalar
# functions (what numpy calls) to 1 ulp: two ways of computing one elementary function differ by at most 5 ulp
ELEMENTARY_FUNCTION_ULPS = 5


def unit_roundoff(dtype):
    """u: the largest relative error of one rounding in ``dtype`` (half its machine epsilon)."""
    return numpy.finfo(dtype).eps / 2


def gamma(n, dtype):
    """Higham's gamma_n = n u / (1 - n u): the relative error bound of a chain of n roundings."""
    nu = n * unit_roundoff(dtype)
    assert nu < 1, f"no bound: {n} roundings in {numpy.dtype(dtype).name}"
    return nu / (1 - nu)


def sum_error(terms, dtype):
    """How far a sum of ``terms`` computed in ``dtype``, in any order, can be from the exact sum: gamma_(n-1) sum|x|."""
    terms = numpy.abs(numpy.asarray(terms, dtype="float64")).ravel()
    return gamma(max(len(terms) - 1, 1), dtype) * terms.sum()


def product_error(a, b, dtype):
    """Entrywise bound of how far ``a @ b`` computed in ``dtype`` (any order, any kernel) is from the exact product:
    gamma_k (|a| @ |b|), k the inner dimension."""
    a, b = numpy.abs(numpy.asarray(a, "float64")), numpy.abs(numpy.asarray(b, "float64"))
    return gamma(a.shape[-1], dtype) * (a @ b)


def function_error(values, dtype, functions=1):
    """How far two implementations of ``functions`` elementary functions in a row (tanh, exp ...) can be apart:
    ELEMENTARY_FUNCTION_ULPS ulp of each value per function."""
    return functions * ELEMENTARY_FUNCTION_ULPS * numpy.finfo(dtype).eps * numpy.abs(numpy.asarray(values, "float64"))


def trajectory_rtol(steps, widths, dtype):
    """How far the costs of two implementations of ``steps`` training steps can drift apart, relative to the costs.

    One step is a chain of roundings: a sum of each product's inner dimension, forward and back
    (``2 * sum(widths)``), an elementary function per layer and pass (ELEMENTARY_FUNCTION_ULPS ulp each) and the
    update.  A gradient step whose losses fall carries an earlier step's error on without amplifying it (gradient
    descent below its stability limit is non-expansive), so the chains of all the steps add up.
    """
    per_step = 2 * sum(widths) + 2 * len(widths) * ELEMENTARY_FUNCTION_ULPS + 2
    return gamma(steps * per_step, dtype)


def assert_within(got, want, bound, what="values"):
    """Assert |got - want| <= bound entrywise (``bound`` a number or an array of want's shape), naming the worst."""
    got, want = numpy.asarray(got, "float64"), numpy.asarray(want, "float64")
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    excess = numpy.abs(got - want) - numpy.broadcast_to(bound, want.shape)
    if excess.size and excess.max() > 0:
        worst = numpy.unravel_index(excess.argmax(), excess.shape)
        raise AssertionError(f"{what}: {got[worst]!r} at {worst} is {abs(got[worst] - want[worst]):.3g} from "
                             f"{want[worst]!r}, beyond the bound {numpy.broadcast_to(bound, want.shape)[worst]:.3g}")
