"""``theano.tensor.signal.pool.pool_2d`` with its old keywords (``ds``, ``st``, ``padding``) and its new ones."""

from ....core.nnet import pool_2d as _pool_2d
from ..._missing import missing


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max", ds=None, st=None,
            padding=None):
    """Pool each feature map by ``ws`` (or the older ``ds``) windows; ``ignore_border`` defaulted to False in
    Theano, with a warning, and does here too."""
    return _pool_2d(input, ws=ws or ds, ignore_border=bool(ignore_border), stride=stride or st,
                    pad=padding or pad, mode=mode)


def __getattr__(name):
    raise missing("tensor.signal.pool", name)
