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

import os
import timeit

import numpy
import pytensor
import pytensor.tensor as pt

from .compile import entry_point, get_mode
from .dA import dA, random_stream
from .data import load_data
from .files import make_run_folder, save_json
from .logistic_sgd import LogisticRegression
from .mlp import HiddenLayer
from .plots import save_curves, save_filters
from .training import (PRETRAINING_LINE, build_evaluators, compile_pretraining_step, early_stopping, n_batches,
                       pretrain_layers, report_time, sgd_training_function)


class SdA:
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
        self.sigmoid_layers = []
        self.dA_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)
        self.corruption_levels = list(corruption_levels)
        if self.n_layers < 1:
            raise ValueError("an SdA needs at least one hidden layer")
        if theano_rng is None:
            theano_rng = random_stream(numpy_rng.randint(2 ** 30))
        self.x = pt.matrix("x")  # the data, presented as rasterized images
        self.y = pt.ivector("y")  # the labels, presented as 1D vector of [int] labels

        for i in range(self.n_layers):
            input_size = n_ins if i == 0 else hidden_layers_sizes[i - 1]
            layer_input = self.x if i == 0 else self.sigmoid_layers[-1].output
            sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size,
                                        n_out=hidden_layers_sizes[i], activation=pt.sigmoid)
            self.sigmoid_layers.append(sigmoid_layer)
            # only the sigmoid layers' parameters are the SdA's; the dAs'
            # visible biases are used in pretraining only
            self.params.extend(sigmoid_layer.params)
            # the dA shares W and b with the sigmoid layer
            self.dA_layers.append(dA(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                                     n_visible=input_size, n_hidden=hidden_layers_sizes[i],
                                     W=sigmoid_layer.W, bhid=sigmoid_layer.b))

        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output,
                                           n_in=hidden_layers_sizes[-1], n_out=n_outs)
        self.params.extend(self.logLayer.params)
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        self.errors = self.logLayer.errors(self.y)

    def pretraining_functions(self, train_set_x, batch_size, cache_codes=True):
        """Compile one training function per dA layer.

        Each is called as ``fn(index, corruption=0.2, lr=0.1)``: ``index`` is
        the minibatch, ``corruption`` and ``lr`` have the tutorial's defaults.

        :param train_set_x: shared variable holding the training data
        :param batch_size: size of a minibatch
        :param cache_codes: layers above the first read the codes of the
            layer below from a cache computed once (see :class:`CachedInputFunction`)
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

    def build_finetune_functions(self, datasets, batch_size, learning_rate):
        """Compile the finetuning step and the error functions.

        :param datasets: ``[(train_x, train_y), (valid_x, valid_y), (test_x, test_y)]``
            as returned by ``load_data``
        :param batch_size: size of a minibatch
        :param learning_rate: learning rate used during finetuning
        :returns: ``train_fn(index)`` (one SGD step, returns the cost), and
            ``valid_score()``, ``test_score()``, which return the error of
            every validation/test minibatch
        """
        index = pt.lscalar("index")
        train_fn = sgd_training_function(index, batch_size, self.x, self.y, self.finetune_cost,
                                         self.params, learning_rate, datasets[0])
        valid_score, test_score = build_evaluators(index, batch_size, self.x, self.y, self.errors, datasets)
        return train_fn, valid_score, test_score


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
    run_folder = output_folder or make_run_folder("SdA")
    os.makedirs(run_folder, exist_ok=True)
    record = {
        "tutorial": "SdA",
        "parameters": {"finetune_lr": finetune_lr, "pretraining_epochs": pretraining_epochs,
                       "pretrain_lr": pretrain_lr, "training_epochs": training_epochs,
                       "dataset": str(dataset), "batch_size": batch_size, "cache_codes": cache_codes,
                       "hidden_layers_sizes": [1000, 1000, 1000], "corruption_levels": [0.1, 0.2, 0.3]},
        "mode": get_mode(),
        "floatX": pytensor.config.floatX,
    }
    results_path = os.path.join(run_folder, "results.json")

    datasets = load_data(dataset)
    train_set_x, _ = datasets[0]
    n_train_batches = n_batches(train_set_x, batch_size)

    numpy_rng = numpy.random.RandomState(89677)
    print("... building the model")
    sda = SdA(numpy_rng=numpy_rng, n_ins=train_set_x.get_value(borrow=True).shape[1],
              hidden_layers_sizes=record["parameters"]["hidden_layers_sizes"], n_outs=10)

    print("... getting the pretraining functions")
    pretraining_fns = sda.pretraining_functions(train_set_x=train_set_x, batch_size=batch_size,
                                                cache_codes=cache_codes)
    print("... pre-training the model")
    start_time = timeit.default_timer()
    corruption_levels = record["parameters"]["corruption_levels"]
    record["pretraining_costs"] = pretrain_layers(
        pretraining_fns, n_train_batches, pretraining_epochs,
        [{"corruption": c, "lr": pretrain_lr} for c in corruption_levels], line=PRETRAINING_LINE)
    record["pretraining_seconds"] = timeit.default_timer() - start_time
    report_time(__file__, record["pretraining_seconds"], what="pretraining code")
    save_filters(sda.sigmoid_layers[0].W.get_value(borrow=True), os.path.join(run_folder, "filters_layer0.png"))
    save_json(record, results_path)

    print("... getting the finetuning functions")
    train_fn, validate_model, test_model = sda.build_finetune_functions(
        datasets=datasets, batch_size=batch_size, learning_rate=finetune_lr)
    print("... finetunning the model")
    result = early_stopping(train_fn, n_train_batches, validate_model, test_model,
                            n_epochs=training_epochs, patience=10 * n_train_batches,
                            patience_increase=2.0)
    print(("Optimization complete with best validation score of %f %%, on iteration %i, "
           "with test performance %f %%")
          % (result.best_validation_loss * 100.0, result.best_iter + 1, result.test_score * 100.0))
    report_time(__file__, result.seconds, what="training code")

    record["finetuning"] = result.as_dict()
    record["best_validation_error"] = result.best_validation_loss
    record["test_error"] = result.test_score
    save_json(record, results_path)
    save_curves({"validation": ([v[1] / n_train_batches for v in result.validation],
                                [100 * v[2] for v in result.validation]),
                 "test (at each new best)": ([t[1] / n_train_batches for t in result.test],
                                             [100 * t[2] for t in result.test])},
                os.path.join(run_folder, "finetuning_curves.png"), title="SdA finetuning")
    print(f"results in {run_folder}")
    return record
