"""dltutorial: the Deep Learning Tutorials (Theano) rebuilt on PyTensor.

One module per tutorial chapter (``logistic_sgd``, ``mlp``, ``dA``, ``SdA`` ...),
with the shared pieces in ``data``, ``training``, ``compile``, ``files``,
``plots`` and ``utils``.  Run ``python -m dltutorial --help``.
"""

__version__ = "0.1.0"
