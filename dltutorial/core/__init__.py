"""What the tutorials share: none of it is a chapter, and nothing here imports a chapter.

=================  ==================================================================
``arguments``      an entry function's arguments checked before any work
``checkpoints``    a loop's state saved at each epoch's end, to resume after it
``compile``        compiled functions with default arguments (``In``), in the mode given
``convolution``    conv2d's ops: products over the patches of a few output rows at a time
``data``           MNIST: the original pickle, IDX files, verified download, shared variables
``errors``         the problems a user can fix, each one line
``files``          atomic writes of pickles, JSON and pictures
``midi``           piano-rolls read from MIDI files and written back (the RNN-RBM)
``minibatches``    ``givens`` slices for the extras, whole minibatches, shuffling
``modes``          the compile modes (c, numba, jax) and float types
``nnet``           conv2d, pool_2d and other ops PyTensor 3 no longer ships
``plots``          filters, samples, curves (matplotlib, Pillow)
``random_init``    random streams and weight initialisation
``rng_mrg``        Theano's MRG31k3p streams, drawn by a compiled op in every mode
``runs``           a run's folder and results record: every entry function's contract
``steps``          compiled steps no chapter teaches (cached codes, the extras' Adam steps)
``tiles``          ``tile_raster_images``: many images (one a row) laid out in one grid
``tiny_data``      tiny generated data sets for the tests and the notebooks
``training``       the early-stopping loop and the fixed-epoch loop, with their log lines
``updates``        sgd, momentum, adadelta, rmsprop, adam -> updates lists
=================  ==================================================================

What makes the graphs fast (custom ops, graph rewrites, compiler flags) is
:mod:`dltutorial.engine`, which the compile modes ask for its rewrites.
"""
