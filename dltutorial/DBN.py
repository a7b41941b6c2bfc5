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

from .core.data import image_side, load_data
from .core.minibatches import n_batches
from .core.plots import save_curves, save_filters
from .core.random_init import random_stream
from .core.runs import Run
from .core.stack import PretrainedStack
from .core.steps import compile_pretraining_step
from .core.training import early_stopping, report_time, train_epochs
from .rbm import RBM


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

        # start-snippet-1
        def shared_RBM(layer_input, n_visible, n_hidden, sigmoid_layer):
            return RBM(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input, n_visible=n_visible,
                       n_hidden=n_hidden, W=sigmoid_layer.W, hbias=sigmoid_layer.b)

        super().__init__(numpy_rng, n_ins, hidden_layers_sizes, n_outs, shared_RBM)
        self.rbm_layers = self.unsupervised_layers
        # end-snippet-1

    def pretraining_functions(self, train_set_x, batch_size, k, cache_codes=True, *, mode=None):
        """Compile one CD-k step per RBM, each called as ``fn(index, lr=0.1)``.

        :param train_set_x: shared variable holding the training data
        :param batch_size: size of a minibatch
        :param k: number of Gibbs steps of CD-k
        :param cache_codes: layers above the first read the (deterministic)
            codes of the layer below from a cache computed once; same costs
        :param mode: the compile mode (None: the default)
        """
        index = pt.lscalar("index")
        learning_rate = pt.scalar("lr")
        pretrain_fns = []
        for i, rbm in enumerate(self.rbm_layers):
            cost, updates = rbm.get_cost_updates(learning_rate, persistent=None, k=k, mode=mode)
            pretrain_fns.append(compile_pretraining_step(
                [index, learning_rate], cost, updates, {"lr": 0.1}, batch_size,
                layer_input=rbm.input, n_visible=rbm.n_visible, network_input=self.x,
                train_set_x=train_set_x, cache_codes=cache_codes, name=f"pretrain_layer_{i}", mode=mode))
        return pretrain_fns


def test_DBN(finetune_lr=0.1, pretraining_epochs=100, pretrain_lr=0.01, k=1, training_epochs=1000,
             dataset="mnist.pkl.gz", batch_size=10, *, hidden_layers_sizes=[1000, 1000, 1000],
             cache_codes=True, output_folder=None, mode=None, floatX="float32"):
    """Pretrain a DBN with CD-k and finetune it on MNIST, as the tutorial does.

    :param finetune_lr: learning rate used in the finetune stage
    :param pretraining_epochs: number of epochs of pretraining for each layer
    :param pretrain_lr: learning rate used during pretraining
    :param k: number of Gibbs steps in CD-k
    :param training_epochs: maximal number of finetuning epochs
    :param dataset: path to the MNIST dataset file (or IDX folder)
    :param batch_size: size of a minibatch
    :param hidden_layers_sizes: the tutorial's three layers of 1000 units, or smaller ones to try it out
    :param cache_codes: pretrain each layer on cached codes of the layer below
    :param output_folder: where results.json, the figures and the checkpoints go
        (default: a new ``runs/DBN-<timestamp>/``); the folder of an interrupted run resumes it
    :param mode: the compile mode (``c``, ``numba``, ``jax``; None: the default)
    :param floatX: the float type of the graphs
    """
    with Run("DBN", locals()) as run:
        datasets = load_data(dataset)
        train_set_x, train_set_y = datasets[0]
        image_side(train_set_x, dataset)  # the first layer's filters are drawn as square pictures
        n_train_batches = n_batches(train_set_x, batch_size)

        numpy_rng = numpy.random.RandomState(123)
        print("... building the model")
        dbn = DBN(numpy_rng=numpy_rng, n_ins=train_set_x.get_value(borrow=True).shape[1],
                  hidden_layers_sizes=hidden_layers_sizes, n_outs=10)

        # start-snippet-2
        #########################
        # PRETRAINING THE MODEL #
        #########################
        print("... getting the pretraining functions")
        pretraining_fns = dbn.pretraining_functions(train_set_x=train_set_x, batch_size=batch_size, k=k,
                                                    cache_codes=cache_codes, mode=run.mode)
        print("... pre-training the model")
        run.record["pretraining_costs"] = [
            train_epochs(pretraining_fns[i], n_train_batches, pretraining_epochs, kwargs={"lr": pretrain_lr},
                         line="Pre-training layer {layer}, epoch {epoch}, cost  {cost}", layer=i,
                         checkpoint=run.checkpoint("pretraining", layer=i))
            for i in range(dbn.n_layers)]
        # end-snippet-2
        run.record["pretraining_seconds"] = sum(costs.seconds for costs in run.record["pretraining_costs"])
        report_time(__file__, run.record["pretraining_seconds"], what="pretraining code")
        save_filters(dbn.sigmoid_layers[0].W.get_value(borrow=True), run.path("filters_layer0.png"))
        run.save()

        ########################
        # FINETUNING THE MODEL #
        ########################
        print("... getting the finetuning functions")
        train_fn, validate_model, test_model = dbn.build_finetune_functions(
            datasets=datasets, batch_size=batch_size, learning_rate=finetune_lr, mode=run.mode)
        print("... finetuning the model")
        result = early_stopping(train_fn, n_train_batches, validate_model, test_model, n_epochs=training_epochs,
                                patience=4 * n_train_batches,  # look as this many examples regardless
                                patience_increase=2.0,  # wait this much longer when a new best is found
                                improvement_threshold=0.995,  # a relative improvement this large is significant
                                checkpoint=run.checkpoint("finetuning"))
        print(("Optimization complete with best validation score of %f %%, obtained at iteration %i, "
               "with test performance %f %%")
              % (result.best_validation_loss * 100.0, result.best_iter + 1, result.test_score * 100.0))
        report_time(__file__, result.seconds, what="fine tuning code")

        run.record.update(finetuning=result.as_dict(), best_validation_error=result.best_validation_loss,
                          test_error=result.test_score)
        save_curves(result.curves(n_train_batches), run.path("finetuning_curves.png"), title="DBN finetuning")
    return run.record


test_DBN.__test__ = False  # an entry function, not a test: pytest must not collect it
