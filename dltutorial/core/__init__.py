"""What the tutorials share: none of it is a chapter, all of it is imported by them.

=================  ==================================================================
``data``           MNIST: the original pickle, IDX files, verified download, shared variables
``minibatches``    ``givens`` slices of the shared data, whole minibatches, shuffling
``steps``          compiling the training and evaluation steps (SGD, Adam, layer-wise)
``training``       the early-stopping loop and the fixed-epoch loop, with their log lines
``runs``           a run's folder and results record: every entry function's contract
``checkpoints``    a loop's state saved at each epoch's end, to resume after it
``modes``          the compile modes (c, numba, jax) and float types
``compile``        compiled functions with default arguments
``configure``      the one place that changes PyTensor's settings (BLAS, C flags, rewrites)
``rewrites``       our graph rewrites, included only by our modes
``stack``          the SdA's and DBN's network: layers shared with dAs or RBMs
``random_init``    random streams and weight initialisation
``rng_mrg``        Theano's MRG31k3p streams, drawn by a compiled op in every mode
``updates``        sgd, momentum, adadelta, rmsprop, adam -> updates lists
``nnet``           conv2d, pool_2d and other ops PyTensor 3 no longer ships
``patches``        convolution's patch matrix (im2col) and its adjoint, as two ops
``plots``          filters, samples, curves (matplotlib, Pillow)
``files``          atomic writes of pickles, JSON and pictures
=================  ==================================================================
"""
