"""The engine's one registration table: every rewrite, its tag and its place among PyTensor's, top to bottom.

PyTensor runs its rewrite database in the order of the positions below
(``fast_run``: canonicalize at 1, BLAS at 1.7, specialize at 2, elementwise
fusion at 49, the in-place phase from 49.5).  Each of ours carries one of our
own tags, which only our compile modes include (:data:`TAGS`), so that
registering them changes nothing that other PyTensor code in the process
computes.  Nothing is registered at import: :func:`register_rewrites` does it,
once per process, when :func:`dltutorial.engine.rewrite_tags` is first asked,
and gives PyTensor's Numba dispatch the engine's ops (:mod:`.numba_kernels`).

=====================  =================  ===================================================
tag                    modes              what it does
=====================  =================  ===================================================
``dltutorial_shapes``  c, numba, jax      refine static shapes (a minibatch of one row,
                                          a row from the start, stays a broadcastable
                                          row, which the BLAS-2 rewrites need)
``dltutorial_numba``   numba              matrix products at batch size 1 as PyTensor's
                                          ``Dot22`` and ``Gemm`` (which the ``numba`` linker's
                                          rewrites leave as ``Dot``), for the rows below;
                                          float32 ``tanh`` as arithmetic LLVM
                                          vectorises (:mod:`.vector_math`)
``dltutorial_rows``    c, numba           matrix-vector products and rank-1 updates at
                                          batch size 1, row by row (:mod:`.blas2`; Numba's
                                          loops in :mod:`.numba_kernels`); softmax inlined
``dltutorial_sums``    c, numba           sums of squares and sums over adjacent axes in
                                          vectorised loops (:mod:`.sums`)
``dltutorial_layout``  c, numba           elementwise ops in their inputs' memory order
``dltutorial_c``       c                  convolutions as one product with the whole patch
                                          matrix (:mod:`.patches`); ``Gemv`` and ``Ger`` as
                                          PyTensor's C ops before the rows; vector maths
                                          split from fused loops
``dltutorial_random``  c, numba, jax      ``binomial(1, p)`` drawn as ``uniform() < p``;
                                          MRG streams advanced in place
``dltutorial_jax``     jax                sums cast back to their output dtype; minibatch
                                          slices taken by index vectors JAX can trace;
                                          MRG draw sizes given as static tuples
=====================  =================  ===================================================
"""

import functools

from pytensor.compile import optdb
from pytensor.graph.rewriting.basic import (EquilibriumGraphRewriter, MergeOptimizer, SequentialGraphRewriter,
                                            dfs_rewriter, in2out)
from pytensor.tensor.rewriting.blas import (GemmOptimizer, local_dot22_to_ger_or_gemv, local_gemm_to_gemv,
                                            local_gemm_to_ger)
from pytensor.tensor.rewriting.blas_c import use_c_gemv, use_c_ger
from pytensor.tensor.rewriting.elemwise import local_dimshuffle_lift

from ..core.rng_mrg import jax_size_as_tuple, mrg_uniform_inplace
from . import blas2, numba_kernels, rewrites, sums, vector_math

# our mode -> the tags of the rewrites it includes
TAGS = {
    "c": ("dltutorial_shapes", "dltutorial_rows", "dltutorial_sums", "dltutorial_layout", "dltutorial_c",
          "dltutorial_random"),
    "numba": ("dltutorial_shapes", "dltutorial_numba", "dltutorial_rows", "dltutorial_sums", "dltutorial_layout",
              "dltutorial_random"),
    "jax": ("dltutorial_shapes", "dltutorial_jax", "dltutorial_random"),
}


@functools.cache
def register_rewrites():
    """Register every rewrite of the engine in PyTensor's database, in the order they run, and the engine's ops'
    Numba implementations; once per process."""
    numba_kernels.register()
    # 0.6, before canonicalize (1) and the BLAS rewrites (1.7), which then see the products as if written so
    optdb.register("dltutorial_convolution_as_one_product", in2out(rewrites.convolution_as_one_product),
                   "dltutorial_c", position=0.6)
    # 0.05, before PyTensor's shape rewrites (0.1), which would fix a slice's length as its symbolic formula: under
    # JAX, a minibatch slice becomes rows taken by an index vector
    optdb.register("dltutorial_constant_length_slice_as_take", in2out(rewrites.constant_length_slice_as_take),
                   "dltutorial_jax", position=0.05)
    # in specialize (2): sums of squares in one loop, softmax inlined (its gradient at batch size 1 is then a row,
    # which the rank-1 update below needs), binomial(1, p) as uniform() < p
    optdb["specialize"].register("dltutorial_sum_of_squares", sums.sum_of_squares, "dltutorial_sums")
    optdb["specialize"].register("dltutorial_inline_softmax", rewrites.inline_softmax, "dltutorial_rows")
    optdb["specialize"].register("dltutorial_binomial_one_as_uniform_below_p",
                                 rewrites.binomial_one_as_uniform_below_p, "dltutorial_random")
    # 2.05, after specialize, whose rewrites (shape folding, the binomial above) build the nodes to refine
    optdb.register("dltutorial_refine_static_shape", in2out(rewrites.refine_static_shape, ignore_newtrees=True),
                   "dltutorial_shapes", position=2.05)
    # 2.055, under Numba, whose linker leaves out PyTensor's BLAS rewrites (BlasOpt, 1.7): the products at batch
    # size 1 become Dot22, and those that W's update adds up Gemm (BlasOpt's first two steps), for the rows below
    optdb.register("dltutorial_batch_one_gemm", SequentialGraphRewriter(
        dfs_rewriter(blas2.batch_one_dot_as_dot22), GemmOptimizer()), "dltutorial_numba", position=2.055)
    # 2.06-2.07: PyTensor's own BLAS-2 rewrites ran at 1.7 (BlasOpt), before the shapes above were known; run
    # them again, then, in C, give the new Gemv/Ger nodes their C implementations (as BlasOpt does at 1.7)
    optdb.register("dltutorial_blas2", EquilibriumGraphRewriter(
        [local_gemm_to_gemv, local_gemm_to_ger, local_dot22_to_ger_or_gemv, local_dimshuffle_lift],
        max_use_ratio=5, ignore_newtrees=False), "dltutorial_rows", position=2.06)
    optdb.register("dltutorial_c_blas2", dfs_rewriter(use_c_ger, use_c_gemv), "dltutorial_c", position=2.07)
    # 2.075-2.09: then row by row; the products and updates compare their vectors by identity, so equal nodes
    # are merged first, and the updates come before the products, so that a product fused into one is not
    # rewritten on its own
    optdb.register("dltutorial_merge_before_rows", MergeOptimizer(), "dltutorial_rows", position=2.075)
    optdb.register("dltutorial_rank_one_update_by_rows", dfs_rewriter(blas2.rank_one_update_by_rows),
                   "dltutorial_rows", position=2.08)
    optdb.register("dltutorial_gemv_by_rows", dfs_rewriter(blas2.gemv_by_rows), "dltutorial_rows", position=2.09)
    # 47, after canonicalize, stabilize and specialize, which push transposes back onto the inputs, and before
    # elementwise fusion (49), which then fuses the ops that run in memory order
    optdb.register("dltutorial_elementwise_in_memory_order", in2out(rewrites.elementwise_in_memory_order),
                   "dltutorial_layout", position=47)
    # 48.5, then, before fusion folds elementwise ops into them, the sums the transposes above now feed
    optdb.register("dltutorial_sum_over_adjacent_axes", in2out(sums.sum_over_adjacent_axes), "dltutorial_sums",
                   position=48.5)
    # 48.6, under Numba, before fusion folds it into loops: float32 tanh as arithmetic LLVM vectorises
    optdb.register("dltutorial_vectorised_tanh", in2out(vector_math.vectorised_float32_tanh),
                   "dltutorial_numba", position=48.6)
    # 49.05, after elementwise fusion (49), which would fuse the two parts back
    optdb.register("dltutorial_split_vector_math", in2out(rewrites.split_vector_math_from_fusion), "dltutorial_c",
                   position=49.05)
    # 49.2, after fusion, so that no later rewrite folds the cast back into the sum's dtype
    optdb.register("dltutorial_careduce_then_cast", in2out(rewrites.careduce_then_cast), "dltutorial_jax",
                   position=49.2)
    # 50.9, in PyTensor's in-place phase (after its destroy handler is added at 49.5), as its random_make_inplace
    optdb.register("dltutorial_mrg_inplace", dfs_rewriter(mrg_uniform_inplace, ignore_newtrees=True),
                   "dltutorial_random", position=50.9)
    # 70.1, beside PyTensor's own destructive CGer (70): the rank-1 updates write into their W
    optdb.register("dltutorial_rank_one_update_in_place", dfs_rewriter(blas2.rank_one_update_in_place),
                   "dltutorial_rows", "inplace", position=70.1)
    # 100, where PyTensor hands its own random draws their sizes as tuples under JAX
    optdb.register("dltutorial_jax_mrg_size_as_tuple", in2out(jax_size_as_tuple), "dltutorial_jax", position=100)
