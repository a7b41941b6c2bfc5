"""What the SdA and the DBN share: a pretrained stack of sigmoid layers, finetuned as an MLP.

Both tutorials build the same network: sigmoid layers, each of which shares
its weights and hidden biases with an unsupervised layer (a dA, an RBM), and
a logistic regression layer on top.  Both train it in the same two phases:
greedy layer-wise pretraining of the unsupervised layers, then supervised
finetuning of the whole network with early stopping.  The original tutorial
wrote this twice; here :class:`PretrainedStack` and :func:`pretrain_and_finetune`
are written once and the two tutorials differ only in their unsupervised layer.
"""

import os
import timeit

import pytensor
import pytensor.tensor as pt

from .compile import get_mode
from .data import load_data
from .files import make_run_folder, save_json
from .logistic_sgd import LogisticRegression
from .mlp import HiddenLayer
from .plots import save_curves, save_filters
from .training import (PRETRAINING_LINE, build_evaluators, early_stopping, n_batches, pretrain_layers, report_time,
                       sgd_training_function)


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


def pretrain_and_finetune(tutorial, build, parameters, dataset, batch_size, pretraining_kwargs, pretraining_epochs,
                          layer_kwargs, finetune_lr, training_epochs, patience_epochs, output_folder, log):
    """Run a pretrained stack's tutorial: build, pretrain, finetune, save results and figures.

    :param tutorial: its name ("SdA", "DBN"): the run folder's and the figures' prefix
    :param build: ``build(n_ins)`` returns the model, a :class:`PretrainedStack`
    :param pretraining_kwargs: the model's ``pretraining_functions`` arguments
        besides the training set and batch size
    :param parameters: the run's parameters, recorded in results.json
    :param layer_kwargs: keyword arguments of each layer's pretraining function
    :param patience_epochs: early stopping looks at this many epochs of minibatches regardless
    :param log: the tutorial's own log lines: ``finetuning`` (announced before
        finetuning), ``complete`` (the final line, fields ``valid``, ``iter``, ``test``)
        and ``finetune_time`` (what its run-time line calls the finetuning)
    """
    run_folder = output_folder or make_run_folder(tutorial)
    os.makedirs(run_folder, exist_ok=True)
    record = {"tutorial": tutorial, "parameters": parameters, "mode": get_mode(), "floatX": pytensor.config.floatX}
    results_path = os.path.join(run_folder, "results.json")
    datasets = load_data(dataset)
    train_set_x, _ = datasets[0]
    n_train_batches = n_batches(train_set_x, batch_size)

    print("... building the model")
    model = build(train_set_x.get_value(borrow=True).shape[1])
    print("... getting the pretraining functions")
    pretraining_fns = model.pretraining_functions(train_set_x=train_set_x, batch_size=batch_size,
                                                  **pretraining_kwargs)
    print("... pre-training the model")
    start_time = timeit.default_timer()
    record["pretraining_costs"] = pretrain_layers(pretraining_fns, n_train_batches, pretraining_epochs,
                                                  layer_kwargs, line=PRETRAINING_LINE)
    record["pretraining_seconds"] = timeit.default_timer() - start_time
    report_time(tutorial + ".py", record["pretraining_seconds"], what="pretraining code")
    save_filters(model.sigmoid_layers[0].W.get_value(borrow=True), os.path.join(run_folder, "filters_layer0.png"))
    save_json(record, results_path)

    print("... getting the finetuning functions")
    train_fn, validate_model, test_model = model.build_finetune_functions(
        datasets=datasets, batch_size=batch_size, learning_rate=finetune_lr)
    print(log["finetuning"])
    result = early_stopping(train_fn, n_train_batches, validate_model, test_model, n_epochs=training_epochs,
                            patience=patience_epochs * n_train_batches, patience_increase=2.0)
    print(log["complete"].format(valid=result.best_validation_loss * 100.0, iter=result.best_iter + 1,
                                 test=result.test_score * 100.0))
    report_time(tutorial + ".py", result.seconds, what=log["finetune_time"])

    record["finetuning"] = result.as_dict()
    record["best_validation_error"] = result.best_validation_loss
    record["test_error"] = result.test_score
    save_json(record, results_path)
    save_curves({"validation": ([v[1] / n_train_batches for v in result.validation],
                                [100 * v[2] for v in result.validation]),
                 "test (at each new best)": ([t[1] / n_train_batches for t in result.test],
                                             [100 * t[2] for t in result.test])},
                os.path.join(run_folder, "finetuning_curves.png"), title=f"{tutorial} finetuning")
    print(f"results in {run_folder}")
    return record
