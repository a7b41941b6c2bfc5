"""Benchmarks: how fast the tutorials' steps run, and how close full runs come to the published numbers.

* ``run``: seconds per epoch of each training step, per compile mode, next to
  the hand-written ``references`` (numpy, PyTorch); ``make bench``.
* ``reproduce``: every tutorial with its published settings, then
  REPRODUCTION.md; ``make reproduce``.
* ``blas_threads``: the batch-1 steps with one and two OpenBLAS threads.
* ``theano_lenet``: the original Theano LeNet step (on Aesara); ``make bench-theano``.
* ``machine``: the CPU and BLAS libraries every figure is recorded with.
"""
