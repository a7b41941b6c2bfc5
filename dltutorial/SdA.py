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
tutorial's text suggests).  ``cache_codes=True`` does this, as a visible
step applied to each compiled pretraining function.
"""

import numpy
import pytensor.tensor as pt

from .core.compile import In, compile_function
from .core.data import image_side, load_data
from .core.minibatches import n_batches
from .core.plots import save_curves, save_filters
from .core.random_init import random_stream
from .core.runs import Run
from .core.steps import with_cached_codes
from .core.training import early_stopping, report_time, train_epochs
from .dA import dA
from .logistic_sgd import LogisticRegression
from .mlp import HiddenLayer


# start-snippet-1
class SdA:
    """Stacked denoising auto-encoder class (SdA).

    A stacked denoising autoencoder is obtained by stacking several dAs: the
    hidden layer of the dA at layer ``i`` becomes the input of the dA at layer
    ``i + 1``; the first dA takes the SdA's input, and the last dA's hidden
    layer feeds a logistic regression layer.  The network, seen as an MLP,
    has sigmoid layers that share their weights with the dAs.
    """

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
        self.x = pt.matrix("x")  # the data is presented as rasterized images
        self.y = pt.ivector("y")  # the labels are presented as 1D vector of [int] labels

        for i in range(self.n_layers):
            # the input size is the number of hidden units of the layer below, or the input size for the first
            input_size = n_ins if i == 0 else hidden_layers_sizes[i - 1]
            # the input is the activation of the hidden layer below, or the SdA's input for the first layer
            layer_input = self.x if i == 0 else self.sigmoid_layers[-1].output
            sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size,
                                        n_out=hidden_layers_sizes[i], activation=pt.sigmoid)
            self.sigmoid_layers.append(sigmoid_layer)
            # the sigmoid layers' parameters are the network's; the dAs' visible biases serve in pretraining only
            self.params.extend(sigmoid_layer.params)
            # a denoising autoencoder that shares its weights with this layer
            dA_layer = dA(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input, n_visible=input_size,
                          n_hidden=hidden_layers_sizes[i], W=sigmoid_layer.W, bhid=sigmoid_layer.b)
            self.dA_layers.append(dA_layer)
        # a logistic layer on top of the MLP
        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output, n_in=hidden_layers_sizes[-1],
                                           n_out=n_outs)
        self.params.extend(self.logLayer.params)
        # the cost of the second phase of training: the negative log likelihood of the logistic regression
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        # the number of errors made on the minibatch given by self.x and self.y
        self.errors = self.logLayer.errors(self.y)
        # end-snippet-1

    # start-snippet-4
    def pretraining_functions(self, train_set_x, batch_size, cache_codes=True, *, mode=None):
        """Compile one training function per dA layer.

        Each is called as ``fn(index, corruption=0.2, lr=0.1)``: ``index`` is
        the minibatch, ``corruption`` and ``lr`` have the tutorial's defaults.

        :param train_set_x: shared variable holding the training data
        :param batch_size: size of a minibatch
        :param cache_codes: layers above the first read the codes of the layer
            below from a cache computed once (:func:`~dltutorial.core.steps.with_cached_codes`)
            instead of recomputing them at every step; the costs are the same
        :param mode: the compile mode (None: the default)
        """
        index = pt.lscalar("index")  # index to a minibatch
        corruption_level = pt.scalar("corruption")  # % of corruption to use
        learning_rate = pt.scalar("lr")  # learning rate to use
        batch_begin = index * batch_size  # beginning of a batch, given `index`
        batch_end = batch_begin + batch_size  # ending of a batch given `index`

        pretrain_fns = []
        for dA_layer in self.dA_layers:
            # get the cost and the updates list
            cost, updates = dA_layer.get_cost_updates(corruption_level, learning_rate)
            # compile the function
            fn = compile_function(
                inputs=[index, In(corruption_level, value=0.2), In(learning_rate, value=0.1)],
                outputs=cost,
                updates=updates,
                givens={self.x: train_set_x[batch_begin: batch_end]},
                mode=mode,
            )
            if cache_codes and dA_layer.x is not self.x:
                # the layers below are fixed while this one trains: their codes are computed once, not every step
                fn = with_cached_codes(fn, layer_input=dA_layer.x, network_input=self.x, train_set_x=train_set_x,
                                       width=dA_layer.n_visible)
            pretrain_fns.append(fn)
        return pretrain_fns
    # end-snippet-4

    # start-snippet-5
    def build_finetune_functions(self, datasets, batch_size, learning_rate, *, mode=None):
        """Compile ``train_fn``, one step of finetuning, and the functions that score the validation and test sets.

        :param datasets: ``[(train_x, train_y), (valid_x, valid_y), (test_x, test_y)]`` as ``load_data`` returns
        :param batch_size: size of a minibatch
        :param learning_rate: learning rate used during finetune stage
        :param mode: the compile mode (None: the default)
        :returns: ``train_fn(index)`` (one SGD step, returns the cost), and ``valid_score()``,
            ``test_score()``, which return the error of every validation/test minibatch
        """
        (train_set_x, train_set_y) = datasets[0]
        (valid_set_x, valid_set_y) = datasets[1]
        (test_set_x, test_set_y) = datasets[2]
        # compute number of minibatches for validation and testing
        n_valid_batches = n_batches(valid_set_x, batch_size)
        n_test_batches = n_batches(test_set_x, batch_size)

        index = pt.lscalar("index")  # index to a [mini]batch
        # compute the gradients with respect to the model parameters
        gparams = pt.grad(self.finetune_cost, self.params)
        # compute list of fine-tuning updates
        updates = [(param, param - gparam * learning_rate) for param, gparam in zip(self.params, gparams)]

        train_fn = compile_function(
            inputs=[index],
            outputs=self.finetune_cost,
            updates=updates,
            givens={
                self.x: train_set_x[index * batch_size: (index + 1) * batch_size],
                self.y: train_set_y[index * batch_size: (index + 1) * batch_size],
            },
            name="train",
            mode=mode,
        )
        test_score_i = compile_function(
            [index],
            self.errors,
            givens={
                self.x: test_set_x[index * batch_size: (index + 1) * batch_size],
                self.y: test_set_y[index * batch_size: (index + 1) * batch_size],
            },
            name="test",
            mode=mode,
        )
        valid_score_i = compile_function(
            [index],
            self.errors,
            givens={
                self.x: valid_set_x[index * batch_size: (index + 1) * batch_size],
                self.y: valid_set_y[index * batch_size: (index + 1) * batch_size],
            },
            name="valid",
            mode=mode,
        )

        # a function that scans the entire validation set
        def valid_score():
            return [valid_score_i(i) for i in range(n_valid_batches)]

        # a function that scans the entire test set
        def test_score():
            return [test_score_i(i) for i in range(n_test_batches)]

        return train_fn, valid_score, test_score
    # end-snippet-5


def test_SdA(finetune_lr=0.1, pretraining_epochs=15, pretrain_lr=0.001, training_epochs=1000,
             dataset="mnist.pkl.gz", batch_size=1, *, cache_codes=True, seed=89677, output_folder=None,
             mode=None, floatX="float32"):
    """Pretrain and finetune a 3-layer SdA on MNIST, as the tutorial does.

    :param finetune_lr: learning rate used in the finetune stage
    :param pretraining_epochs: number of epochs of pretraining for each layer
    :param pretrain_lr: learning rate used during pretraining
    :param training_epochs: maximal number of finetuning epochs
    :param dataset: path to the MNIST dataset file (or IDX folder)
    :param batch_size: size of a minibatch
    :param cache_codes: pretrain each layer on cached codes of the layer below
    :param seed: seeds the initial weights (the original's 89677); the symbolic stream's seed is drawn from it, as the original's
    :param output_folder: where results.json, the figures and the checkpoints go
        (default: a new ``runs/SdA-<timestamp>/``); the folder of an interrupted run resumes it
    :param mode: the compile mode (``c``, ``numba``, ``jax``; None: the default)
    :param floatX: the float type of the graphs
    """
    with Run("SdA", dict(finetune_lr=finetune_lr, pretraining_epochs=pretraining_epochs, pretrain_lr=pretrain_lr,
                         training_epochs=training_epochs, dataset=dataset, batch_size=batch_size,
                         cache_codes=cache_codes, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        datasets = load_data(dataset)
        train_set_x, train_set_y = datasets[0]
        image_side(train_set_x, dataset)  # the first layer's filters are drawn as square pictures
        n_train_batches = n_batches(train_set_x, batch_size)

        numpy_rng = numpy.random.RandomState(seed)
        print("... building the model")
        sda = SdA(numpy_rng=numpy_rng, n_ins=train_set_x.get_value(borrow=True).shape[1],
                  hidden_layers_sizes=[1000, 1000, 1000], n_outs=10)

        # start-snippet-2
        #########################
        # PRETRAINING THE MODEL #
        #########################
        print("... getting the pretraining functions")
        pretraining_fns = sda.pretraining_functions(train_set_x=train_set_x, batch_size=batch_size,
                                                    cache_codes=cache_codes, mode=run.mode)
        print("... pre-training the model")
        corruption_levels = [0.1, 0.2, 0.3]
        run.record["pretraining_costs"] = [
            train_epochs(pretraining_fns[i], n_train_batches, pretraining_epochs,
                         kwargs={"corruption": corruption_levels[i], "lr": pretrain_lr},
                         line="Pre-training layer {layer}, epoch {epoch}, cost {cost:f}", layer=i,
                         checkpoint=run.checkpoint("pretraining", layer=i))
            for i in range(sda.n_layers)]
        # end-snippet-2
        run.record["pretraining_seconds"] = sum(costs.seconds for costs in run.record["pretraining_costs"])
        report_time(__file__, run.record["pretraining_seconds"], what="pretraining code")
        save_filters(sda.sigmoid_layers[0].W.get_value(borrow=True), run.path("filters_layer0.png"))
        run.save()

        # start-snippet-3
        ########################
        # FINETUNING THE MODEL #
        ########################
        print("... getting the finetuning functions")
        train_fn, validate_model, test_model = sda.build_finetune_functions(
            datasets=datasets, batch_size=batch_size, learning_rate=finetune_lr, mode=run.mode)
        print("... finetunning the model")
        result = early_stopping(train_fn, n_train_batches, validate_model, test_model, n_epochs=training_epochs,
                                patience=10 * n_train_batches,  # look as this many examples regardless
                                patience_increase=2.0,  # wait this much longer when a new best is found
                                improvement_threshold=0.995,  # a relative improvement this large is significant
                                checkpoint=run.checkpoint("finetuning"))
        # end-snippet-3
        print(("Optimization complete with best validation score of %f %%, on iteration %i, "
               "with test performance %f %%")
              % (result.best_validation_loss * 100.0, result.best_iter + 1, result.test_score * 100.0))
        report_time(__file__, result.seconds, what="training code")

        run.record.update(finetuning=result.as_dict(), best_validation_error=result.best_validation_loss,
                          test_error=result.test_score)
        save_curves(result.curves(n_train_batches), run.path("finetuning_curves.png"), title="SdA finetuning")
    return run.record


test_SdA.__test__ = False  # an entry function, not a test: pytest must not collect it
