"""dltutorial: the Deep Learning Tutorials (Theano) rebuilt on PyTensor.

One module per tutorial chapter, imported as the original's ``code/`` files
were (``from dltutorial.SdA import test_SdA``):

* ``logistic_sgd``, ``logistic_cg``, ``mlp``, ``convolutional_mlp`` (LeNet5);
* ``dA``, ``SdA``, ``rbm``, ``DBN``, ``cA``, ``hmc``;
* ``lstm`` (with its data, ``imdb``), ``lstm_chars``, ``rnnslu``;
* the reference texts' chapters: ``autoencoders`` (models) and
  ``autoencoder_tutorials``, ``masking_noise``, ``mlp_adadelta``;
* ``utils`` (``tile_raster_images``), as in the original.

The machinery they share lives in :mod:`dltutorial.core`: data, minibatches,
training loops, runs and checkpoints, compile modes, updates, ops, plots.
:mod:`dltutorial.theano` answers to Theano's names, for old Theano code.
Run ``python -m dltutorial --help``.
"""

__version__ = "0.1.0"
