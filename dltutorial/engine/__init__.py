"""The speed engine: what makes the tutorials' graphs fast, behind one door that no chapter needs to read.

=================  ==================================================================
``registry``       the one table: every rewrite, its tag, its position among PyTensor's
``rewrites``       the graph rewrites (static shapes, softmax inlined, memory order ...)
``blas2``          batch-size-1 products and rank-1 updates done row by row (C ops)
``sums``           sums of squares and sums over adjacent axes in one loop (C ops)
``patches``        the c mode's convolution: the whole patch matrix, one BLAS product
``configure``      BLAS (scipy-openblas32) and C compiler flags for PyTensor
``numba_kernels``  the ops above as Numba loops, for the numba mode
``vector_math``    float32 ``tanh`` as arithmetic Numba vectorises (numba mode)
=================  ==================================================================

The compile modes (:mod:`dltutorial.core.modes`) ask :func:`rewrite_tags`
which of the engine's rewrites to include, and
:func:`~dltutorial.core.compile.compile_function` gives its minibatches of
one row their static length (:func:`one_row_givens`).  The engine leans on PyTensor
internals (its BLAS rewrites, its rewrite database's positions, C op
classes); pyproject.toml bounds PyTensor to the releases it was tested
with.  If one of those internals is missing in another release, the engine
turns itself off with one warning naming what is missing, and every
tutorial compiles with PyTensor's plain ``fast_run``: slower, and the
binomial draws no longer come from uniform ones, so random numbers differ.
"""

import functools
import warnings

from .configure import configure_pytensor, have_blas, use_one_blas_thread_by_default

__all__ = ["EngineOff", "configure_pytensor", "have_blas", "one_row_givens", "rewrite_tags",
           "use_one_blas_thread_by_default"]


class EngineOff(UserWarning):
    """The engine could not load against this PyTensor: the tutorials compile unrewritten."""


@functools.cache
def _registry():
    """The registry module with every rewrite registered, or None (and one warning) when it cannot load."""
    try:
        from . import registry

        registry.register_rewrites()
    except (ImportError, AttributeError, TypeError) as error:
        import pytensor

        warnings.warn(EngineOff(
            f"dltutorial's speed engine is off ({type(error).__name__}: {error}): PyTensor {pytensor.__version__} "
            "lacks an internal it uses; the tutorials compile with PyTensor's plain fast_run, slower and with "
            "other random draws (install a PyTensor release that pyproject.toml names)"), stacklevel=3)
        return None
    return registry


def one_row_givens(givens):
    """``givens`` with each minibatch slice of one row given its static length (engine off: ``givens`` as they are).

    :func:`dltutorial.core.compile.compile_function` applies it, so that the
    tutorials' batch-1 graphs become matrix-vector work from the start.
    """
    if not givens or _registry() is None:
        return givens
    from .rewrites import one_row_as_row

    pairs = givens.items() if isinstance(givens, dict) else givens
    return {variable: one_row_as_row(value) for variable, value in pairs}


def rewrite_tags(mode):
    """The tags of the engine's rewrites that mode ``mode`` (c, numba, jax) includes; none if the engine is off."""
    registry = _registry()
    return registry.TAGS[mode] if registry is not None else ()
