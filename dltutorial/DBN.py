"""Deep belief networks (DBN): RBMs stacked and pretrained greedily, then finetuned as an MLP.

The hidden layer of the RBM at layer ``i`` is the input of the RBM at layer
``i + 1``; Hinton, Osindero and Teh (2006) showed that training them one at a
time, each with contrastive divergence on the codes of the layer below,
improves a variational bound on the likelihood of the data.  For
classification the stack becomes an MLP whose sigmoid layers share their
weights and hidden biases with the RBMs, a logistic regression layer goes on
top, and the whole network is finetuned by SGD, exactly as for the SdA.
"""

import numpy
import pytensor.tensor as pt

from .compile import entry_point
from .dA import random_stream
from .deep import PretrainedStack, pretrain_and_finetune
from .rbm import RBM
from .training import compile_pretraining_step


class DBN(PretrainedStack):
    """Deep belief network: sigmoid layers whose weights are shared with RBMs, and a softmax on top."""

    def __init__(self, numpy_rng, theano_rng=None, n_ins=784, hidden_layers_sizes=[500, 500], n_outs=10):
        """
        :type numpy_rng: numpy.random.RandomState
        :param numpy_rng: numpy random number generator used to draw initial weights
        :param theano_rng: symbolic random generator for the Gibbs samples
                           (None: seeded from ``numpy_rng``)
        :param n_ins: dimension of the input to the DBN
        :param hidden_layers_sizes: sizes of the intermediate layers (at least one)
        :param n_outs: dimension of the output of the network
        """
        if theano_rng is None:
            theano_rng = random_stream(numpy_rng.randint(2 ** 30))

        def shared_RBM(layer_input, n_visible, n_hidden, sigmoid_layer):
            return RBM(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input, n_visible=n_visible,
                       n_hidden=n_hidden, W=sigmoid_layer.W, hbias=sigmoid_layer.b)

        super().__init__(numpy_rng, n_ins, hidden_layers_sizes, n_outs, shared_RBM)
        self.rbm_layers = self.unsupervised_layers

    def pretraining_functions(self, train_set_x, batch_size, k, cache_codes=True):
        """Compile one CD-k step per RBM, each called as ``fn(index, lr=0.1)``.

        :param train_set_x: shared variable holding the training data
        :param batch_size: size of a minibatch
        :param k: number of Gibbs steps of CD-k
        :param cache_codes: layers above the first read the (deterministic)
            codes of the layer below from a cache computed once; same costs
        """
        index = pt.lscalar("index")
        learning_rate = pt.scalar("lr")
        pretrain_fns = []
        for i, rbm in enumerate(self.rbm_layers):
            cost, updates = rbm.get_cost_updates(learning_rate, persistent=None, k=k)
            pretrain_fns.append(compile_pretraining_step(
                [index, learning_rate], cost, updates, {"lr": 0.1}, batch_size,
                layer_input=rbm.input, n_visible=rbm.n_visible, network_input=self.x,
                train_set_x=train_set_x, cache_codes=cache_codes, name=f"pretrain_layer_{i}"))
        return pretrain_fns


@entry_point
def test_DBN(finetune_lr=0.1, pretraining_epochs=100, pretrain_lr=0.01, k=1, training_epochs=1000,
             dataset="mnist.pkl.gz", batch_size=10, *, hidden_layers_sizes=[1000, 1000, 1000],
             cache_codes=True, output_folder=None):
    """Pretrain a DBN with CD-k and finetune it on MNIST, as the tutorial does.

    :param finetune_lr: learning rate used in the finetune stage
    :param pretraining_epochs: number of epochs of pretraining for each layer
    :param pretrain_lr: learning rate used during pretraining
    :param k: number of Gibbs steps in CD-k
    :param training_epochs: maximal number of finetuning epochs
    :param dataset: path to the MNIST dataset file (or IDX folder)
    :param batch_size: size of a minibatch
    :param hidden_layers_sizes: the tutorial's three layers of 1000 units, or smaller ones to try it out
    :param output_folder: where results.json and the figures go
        (default: a new ``runs/DBN-<timestamp>/``)
    """
    sizes = list(hidden_layers_sizes)
    parameters = {"finetune_lr": finetune_lr, "pretraining_epochs": pretraining_epochs, "pretrain_lr": pretrain_lr,
                  "k": k, "training_epochs": training_epochs, "dataset": str(dataset), "batch_size": batch_size,
                  "cache_codes": cache_codes, "hidden_layers_sizes": sizes}
    numpy_rng = numpy.random.RandomState(123)
    return pretrain_and_finetune(
        "DBN", lambda n_ins: DBN(numpy_rng=numpy_rng, n_ins=n_ins, hidden_layers_sizes=sizes, n_outs=10),
        parameters, dataset, batch_size, {"k": k, "cache_codes": cache_codes}, pretraining_epochs,
        [{"lr": pretrain_lr}] * len(sizes), finetune_lr, training_epochs, patience_epochs=4,
        output_folder=output_folder,
        log={"finetuning": "... finetuning the model", "finetune_time": "fine tuning code",
             "complete": ("Optimization complete with best validation score of {valid:f} %, obtained at iteration "
                          "{iter}, with test performance {test:f} %")})
