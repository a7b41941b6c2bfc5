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

from .core.data import image_side, load_data
from .core.minibatches import n_batches
from .core.plots import save_curves, save_filters
from .core.random_init import random_stream
from .core.runs import Run
from .core.stack import PretrainedStack
from .core.steps import compile_pretraining_step
from .core.training import early_stopping, report_time, train_epochs
from .dA import dA


# start-snippet-1
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
        # end-snippet-1

    def pretraining_functions(self, train_set_x, batch_size, cache_codes=True, *, mode=None):
        """Compile one training function per dA layer.

        Each is called as ``fn(index, corruption=0.2, lr=0.1)``: ``index`` is
        the minibatch, ``corruption`` and ``lr`` have the tutorial's defaults.

        :param train_set_x: shared variable holding the training data
        :param batch_size: size of a minibatch
        :param cache_codes: layers above the first read the codes of the
            layer below from a cache computed once (see :class:`~dltutorial.core.training.CachedInputFunction`)
            instead of recomputing them at every step; the costs are the same
        :param mode: the compile mode (None: the default)
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
                train_set_x=train_set_x, cache_codes=cache_codes, name=f"pretrain_layer_{i}", mode=mode))
        return pretrain_fns


def test_SdA(finetune_lr=0.1, pretraining_epochs=15, pretrain_lr=0.001, training_epochs=1000,
             dataset="mnist.pkl.gz", batch_size=1, *, cache_codes=True, output_folder=None, mode=None,
             floatX="float32"):
    """Pretrain and finetune a 3-layer SdA on MNIST, as the tutorial does.

    :param finetune_lr: learning rate used in the finetune stage
    :param pretraining_epochs: number of epochs of pretraining for each layer
    :param pretrain_lr: learning rate used during pretraining
    :param training_epochs: maximal number of finetuning epochs
    :param dataset: path to the MNIST dataset file (or IDX folder)
    :param batch_size: size of a minibatch
    :param cache_codes: pretrain each layer on cached codes of the layer below
    :param output_folder: where results.json, the figures and the checkpoints go
        (default: a new ``runs/SdA-<timestamp>/``); the folder of an interrupted run resumes it
    :param mode: the compile mode (``c``, ``numba``, ``jax``; None: the default)
    :param floatX: the float type of the graphs
    """
    with Run("SdA", locals()) as run:
        datasets = load_data(dataset)
        train_set_x, train_set_y = datasets[0]
        image_side(train_set_x, dataset)  # the first layer's filters are drawn as square pictures
        n_train_batches = n_batches(train_set_x, batch_size)

        numpy_rng = numpy.random.RandomState(89677)
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
