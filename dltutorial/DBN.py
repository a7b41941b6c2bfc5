"""Deep belief networks (DBN): RBMs stacked and pretrained greedily, then finetuned as an MLP.

The hidden layer of the RBM at layer ``i`` is the input of the RBM at layer
``i + 1``; Hinton, Osindero and Teh (2006) showed that training them one at a
time, each with contrastive divergence on the codes of the layer below,
improves a variational bound on the likelihood of the data.  For
classification the stack becomes an MLP whose sigmoid layers share their
weights and hidden biases with the RBMs, a logistic regression layer goes on
top, and the whole network is finetuned by SGD, exactly as for the SdA.
"""

import os
import timeit

import numpy
import pytensor
import pytensor.tensor as pt

from .compile import entry_point, get_mode
from .dA import random_stream
from .data import load_data
from .files import make_run_folder, save_json
from .logistic_sgd import LogisticRegression
from .mlp import HiddenLayer
from .plots import save_curves, save_filters
from .rbm import RBM
from .training import (PRETRAINING_LINE, build_evaluators, compile_pretraining_step, early_stopping, n_batches,
                       pretrain_layers, report_time, sgd_training_function)


class DBN:
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
        self.sigmoid_layers = []
        self.rbm_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)
        if self.n_layers < 1:
            raise ValueError("a DBN needs at least one hidden layer")
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
            # the RBMs' visible biases are used in pretraining only, not the DBN's parameters
            self.params.extend(sigmoid_layer.params)
            self.rbm_layers.append(RBM(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                                       n_visible=input_size, n_hidden=hidden_layers_sizes[i],
                                       W=sigmoid_layer.W, hbias=sigmoid_layer.b))

        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output,
                                           n_in=hidden_layers_sizes[-1], n_out=n_outs)
        self.params.extend(self.logLayer.params)
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        self.errors = self.logLayer.errors(self.y)

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

    def build_finetune_functions(self, datasets, batch_size, learning_rate):
        """Compile the finetuning step and the error functions.

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
    :param output_folder: where results.json and the figures go
        (default: a new ``runs/DBN-<timestamp>/``)
    """
    run_folder = output_folder or make_run_folder("DBN")
    os.makedirs(run_folder, exist_ok=True)
    record = {
        "tutorial": "DBN",
        "parameters": {"finetune_lr": finetune_lr, "pretraining_epochs": pretraining_epochs,
                       "pretrain_lr": pretrain_lr, "k": k, "training_epochs": training_epochs,
                       "dataset": str(dataset), "batch_size": batch_size, "cache_codes": cache_codes,
                       "hidden_layers_sizes": list(hidden_layers_sizes)},
        "mode": get_mode(),
        "floatX": pytensor.config.floatX,
    }
    results_path = os.path.join(run_folder, "results.json")
    datasets = load_data(dataset)
    train_set_x, _ = datasets[0]
    n_train_batches = n_batches(train_set_x, batch_size)

    numpy_rng = numpy.random.RandomState(123)
    print("... building the model")
    dbn = DBN(numpy_rng=numpy_rng, n_ins=train_set_x.get_value(borrow=True).shape[1],
              hidden_layers_sizes=hidden_layers_sizes, n_outs=10)

    print("... getting the pretraining functions")
    pretraining_fns = dbn.pretraining_functions(train_set_x=train_set_x, batch_size=batch_size, k=k,
                                                cache_codes=cache_codes)
    print("... pre-training the model")
    start_time = timeit.default_timer()
    record["pretraining_costs"] = pretrain_layers(pretraining_fns, n_train_batches, pretraining_epochs,
                                                  [{"lr": pretrain_lr}] * dbn.n_layers, line=PRETRAINING_LINE)
    record["pretraining_seconds"] = timeit.default_timer() - start_time
    report_time(__file__, record["pretraining_seconds"], what="pretraining code")
    save_filters(dbn.sigmoid_layers[0].W.get_value(borrow=True), os.path.join(run_folder, "filters_layer0.png"))
    save_json(record, results_path)

    print("... getting the finetuning functions")
    train_fn, validate_model, test_model = dbn.build_finetune_functions(
        datasets=datasets, batch_size=batch_size, learning_rate=finetune_lr)
    print("... finetuning the model")
    result = early_stopping(train_fn, n_train_batches, validate_model, test_model, n_epochs=training_epochs,
                            patience=4 * n_train_batches, patience_increase=2.0)
    print(("Optimization complete with best validation score of %f %%, obtained at iteration %i, "
           "with test performance %f %%")
          % (result.best_validation_loss * 100.0, result.best_iter + 1, result.test_score * 100.0))
    report_time(__file__, result.seconds, what="fine tuning code")

    record["finetuning"] = result.as_dict()
    record["best_validation_error"] = result.best_validation_loss
    record["test_error"] = result.test_score
    save_json(record, results_path)
    save_curves({"validation": ([v[1] / n_train_batches for v in result.validation],
                                [100 * v[2] for v in result.validation]),
                 "test (at each new best)": ([t[1] / n_train_batches for t in result.test],
                                             [100 * t[2] for t in result.test])},
                os.path.join(run_folder, "finetuning_curves.png"), title="DBN finetuning")
    print(f"results in {run_folder}")
    return record
