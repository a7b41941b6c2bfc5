"""Stacked denoising autoencoders (SdA).

Denoising autoencoders can be stacked to form a deep network: the hidden
layer of the dA at layer ``i`` is the input of the dA at layer ``i + 1``.
Training has two phases (Bengio et al., 2007):

1. *Pretraining*, unsupervised and greedy: each dA in turn is trained to
   reconstruct its (corrupted) input, the layers below it fixed.
2. *Finetuning*, supervised: a logistic regression layer is put on top and
   the whole network, now an MLP whose hidden layers share their weights
   with the dAs, is trained by SGD on the negative log-likelihood.

The lower layers are deterministic while layer ``k`` is pretrained, so the
codes they produce for the training set can be computed once per layer and
cached, instead of being recomputed at every step (the speed-up the
tutorial's text suggests).  ``cache_codes=True`` does this.
"""

import numpy
import pytensor.tensor as pt

from .compile import entry_point
from .dA import dA, random_stream
from .deep import PretrainedStack, pretrain_and_finetune
from .training import compile_pretraining_step


class SdA(PretrainedStack):
    """Stacked denoising autoencoder: sigmoid layers whose weights are shared with dAs."""

    def __init__(self, numpy_rng, theano_rng=None, n_ins=784, hidden_layers_sizes=[500, 500],
                 n_outs=10, corruption_levels=[0.1, 0.1]):
        """
        :type numpy_rng: numpy.random.RandomState
        :param numpy_rng: numpy random number generator used to draw initial weights
        :param theano_rng: symbolic random generator (None: seeded from ``numpy_rng``)
        :param n_ins: dimension of the input to the SdA
        :param hidden_layers_sizes: sizes of the intermediate layers (at least one)
        :param n_outs: dimension of the output of the network
        :param corruption_levels: amount of corruption to use for each layer
        """
        self.corruption_levels = list(corruption_levels)
        if theano_rng is None:
            theano_rng = random_stream(numpy_rng.randint(2 ** 30))

        def shared_dA(layer_input, n_visible, n_hidden, sigmoid_layer):
            return dA(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input, n_visible=n_visible,
                      n_hidden=n_hidden, W=sigmoid_layer.W, bhid=sigmoid_layer.b)

        super().__init__(numpy_rng, n_ins, hidden_layers_sizes, n_outs, shared_dA)
        self.dA_layers = self.unsupervised_layers

    def pretraining_functions(self, train_set_x, batch_size, cache_codes=True):
        """Compile one training function per dA layer.

        Each is called as ``fn(index, corruption=0.2, lr=0.1)``: ``index`` is
        the minibatch, ``corruption`` and ``lr`` have the tutorial's defaults.

        :param train_set_x: shared variable holding the training data
        :param batch_size: size of a minibatch
        :param cache_codes: layers above the first read the codes of the
            layer below from a cache computed once (see :class:`~dltutorial.training.CachedInputFunction`)
            instead of recomputing them at every step; the costs are the same
        """
        index = pt.lscalar("index")
        corruption_level = pt.scalar("corruption")
        learning_rate = pt.scalar("lr")
        defaults = {"corruption": 0.2, "lr": 0.1}
        pretrain_fns = []
        for i, dA_layer in enumerate(self.dA_layers):
            cost, updates = dA_layer.get_cost_updates(corruption_level, learning_rate)
            pretrain_fns.append(compile_pretraining_step(
                [index, corruption_level, learning_rate], cost, updates, defaults, batch_size,
                layer_input=dA_layer.x, n_visible=dA_layer.n_visible, network_input=self.x,
                train_set_x=train_set_x, cache_codes=cache_codes, name=f"pretrain_layer_{i}"))
        return pretrain_fns


@entry_point
def test_SdA(finetune_lr=0.1, pretraining_epochs=15, pretrain_lr=0.001, training_epochs=1000,
             dataset="mnist.pkl.gz", batch_size=1, *, cache_codes=True, output_folder=None):
    """Pretrain and finetune a 3-layer SdA on MNIST, as the tutorial does.

    :param finetune_lr: learning rate used in the finetune stage
    :param pretraining_epochs: number of epochs of pretraining for each layer
    :param pretrain_lr: learning rate used during pretraining
    :param training_epochs: maximal number of finetuning epochs
    :param dataset: path to the MNIST dataset file (or IDX folder)
    :param batch_size: size of a minibatch
    :param cache_codes: pretrain each layer on cached codes of the layer below
    :param output_folder: where results.json and the figures go
        (default: a new ``runs/SdA-<timestamp>/``)
    """
    sizes, corruption_levels = [1000, 1000, 1000], [0.1, 0.2, 0.3]
    parameters = {"finetune_lr": finetune_lr, "pretraining_epochs": pretraining_epochs, "pretrain_lr": pretrain_lr,
                  "training_epochs": training_epochs, "dataset": str(dataset), "batch_size": batch_size,
                  "cache_codes": cache_codes, "hidden_layers_sizes": sizes, "corruption_levels": corruption_levels}
    numpy_rng = numpy.random.RandomState(89677)
    return pretrain_and_finetune(
        "SdA", lambda n_ins: SdA(numpy_rng=numpy_rng, n_ins=n_ins, hidden_layers_sizes=sizes, n_outs=10),
        parameters, dataset, batch_size, {"cache_codes": cache_codes}, pretraining_epochs,
        [{"corruption": c, "lr": pretrain_lr} for c in corruption_levels], finetune_lr, training_epochs,
        patience_epochs=10, output_folder=output_folder,
        log={"finetuning": "... finetunning the model", "finetune_time": "training code",
             "complete": ("Optimization complete with best validation score of {valid:f} %, on iteration {iter}, "
                          "with test performance {test:f} %")})
