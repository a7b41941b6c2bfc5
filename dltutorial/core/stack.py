"""What the SdA and the DBN share: a stack of sigmoid layers, pretrained, then finetuned as an MLP.

Both tutorials build the same network: sigmoid layers, each of which shares
its weights and hidden biases with an unsupervised layer (a dA, an RBM), and
a logistic regression layer on top.  The original tutorial wrote this network
twice; here :class:`PretrainedStack` is written once and the two tutorials
differ only in their unsupervised layer.  Their entry functions train it in
the same two phases, with the shared loops of :mod:`dltutorial.core.training`.
"""

import pytensor.tensor as pt

from ..logistic_sgd import LogisticRegression
from ..mlp import HiddenLayer
from .steps import build_evaluators, sgd_training_function


class PretrainedStack:
    """Sigmoid layers sharing their parameters with unsupervised layers, and a softmax on top.

    ``unsupervised_layer(layer_input, n_visible, n_hidden, sigmoid_layer)``
    builds the unsupervised layer that shares ``sigmoid_layer.W`` and ``.b``.
    """

    def __init__(self, numpy_rng, n_ins, hidden_layers_sizes, n_outs, unsupervised_layer):
        self.sigmoid_layers = []
        self.unsupervised_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)
        if self.n_layers < 1:
            raise ValueError(f"a {type(self).__name__} needs at least one hidden layer")
        self.x = pt.matrix("x")  # the data, presented as rasterized images
        self.y = pt.ivector("y")  # the labels, presented as 1D vector of [int] labels
        # start-snippet-1
        for i, n_hidden in enumerate(hidden_layers_sizes):
            input_size = n_ins if i == 0 else hidden_layers_sizes[i - 1]
            layer_input = self.x if i == 0 else self.sigmoid_layers[-1].output
            sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size, n_out=n_hidden,
                                        activation=pt.sigmoid)
            self.sigmoid_layers.append(sigmoid_layer)
            # only the sigmoid layers' parameters are the network's; the unsupervised
            # layers' visible biases serve in pretraining only
            self.params.extend(sigmoid_layer.params)
            self.unsupervised_layers.append(unsupervised_layer(layer_input, input_size, n_hidden, sigmoid_layer))
        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output, n_in=hidden_layers_sizes[-1],
                                           n_out=n_outs)
        self.params.extend(self.logLayer.params)
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        self.errors = self.logLayer.errors(self.y)
        # end-snippet-1

    def build_finetune_functions(self, datasets, batch_size, learning_rate, *, mode=None):
        """Compile the finetuning step and the error functions.

        :param datasets: ``[(train_x, train_y), (valid_x, valid_y), (test_x, test_y)]``
            as returned by ``load_data``
        :param batch_size: size of a minibatch
        :param learning_rate: learning rate used during finetuning
        :param mode: the compile mode (None: the default)
        :returns: ``train_fn(index)`` (one SGD step, returns the cost), and
            ``valid_score()``, ``test_score()``, which return the error of
            every validation/test minibatch
        """
        index = pt.lscalar("index")
        train_fn = sgd_training_function(index, batch_size, self.x, self.y, self.finetune_cost,
                                         self.params, learning_rate, datasets[0], mode=mode)
        valid_score, test_score = build_evaluators(index, batch_size, self.x, self.y, self.errors, datasets, mode=mode)
        return train_fn, valid_score, test_score
