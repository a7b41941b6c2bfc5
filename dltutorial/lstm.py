"""LSTM networks for sentiment analysis: an LSTM layer written with ``pytensor.scan``.

At each time step a layer of memory cells reads the input :math:`x_t` and
its previous output :math:`h_{t-1}`:

.. math::
    i_t = \\sigma(W_i x_t + U_i h_{t-1} + b_i), \\quad
    f_t = \\sigma(W_f x_t + U_f h_{t-1} + b_f), \\quad
    o_t = \\sigma(W_o x_t + U_o h_{t-1} + b_o)

    \\widetilde{C}_t = \\tanh(W_c x_t + U_c h_{t-1} + b_c), \\quad
    C_t = i_t \\widetilde{C}_t + f_t C_{t-1}, \\quad
    h_t = o_t \\tanh(C_t)

The input, forget and output gates decide what enters the cell, what it
keeps and what it shows; the cell state is carried forward linearly, so
gradients survive many steps.  As in the tutorial, the four ``W`` (and
``U``, ``b``) are concatenated so that one product computes all gates, the
input products are computed for all time steps before the loop, and the
output gate does not read :math:`C_t`.

The sentiment model (:func:`train_lstm`) embeds each word, runs one LSTM
layer, averages its outputs over the words of each review (the mask says
which positions are words and which are padding), and classifies the
average with a softmax.
"""

import sys
import time

import numpy
import pytensor
import pytensor.tensor as pt

from .core.checkpoints import Checkpoint
from .core.compile import compile_function
from .core.files import atomic_write
from .core.modes import compile_mode
from .core.random_init import random_stream
from .core.runs import Run
from .core.updates import adadelta, rmsprop, sgd
from .imdb import load_data, prepare_data

SEED = 123


def ortho_weight(rng, n_rows, n_cols=None):
    """An orthogonal matrix: the left singular vectors of a Gaussian matrix (the tutorial's init).

    For a non-square shape, the nearest matrix with orthonormal rows or columns (``u @ vt``).
    """
    n_cols = n_cols or n_rows
    u, _, vt = numpy.linalg.svd(rng.randn(n_rows, n_cols), full_matrices=False)
    return (u if n_rows == n_cols else u @ vt).astype(pytensor.config.floatX)


class LSTM:
    """One LSTM layer over a (time, samples, n_in) input, with a (time, samples) 0/1 mask.

    Where the mask is 0 (padding after a sequence's end) the state is
    carried unchanged, so padded positions do not change the result.
    ``output`` is the (time, samples, n_hidden) sequence of :math:`h_t`.
    """

    def __init__(self, rng, input, mask, n_in, n_hidden, activation=pt.tanh, forget_bias=0.0, *, mode=None):
        """
        :type rng: numpy.random.RandomState
        :param rng: draws the orthogonal initial W (4 blocks) then U (4 blocks)
        :param input: symbolic (time, samples, n_in) tensor
        :param mask: symbolic (time, samples) matrix, 1 where there is a word
        :param activation: the candidate's and the output's non-linearity (tanh; text 003 uses relu)
        :param forget_bias: added to the forget gate's input (TensorFlow's BasicLSTMCell adds 1)
        """
        floatX = pytensor.config.floatX
        self.W = pytensor.shared(numpy.concatenate([ortho_weight(rng, n_in, n_hidden) for _ in range(4)], axis=1),
                                 name="lstm_W", borrow=True)
        self.U = pytensor.shared(numpy.concatenate([ortho_weight(rng, n_hidden) for _ in range(4)], axis=1),
                                 name="lstm_U", borrow=True)
        self.b = pytensor.shared(numpy.zeros(4 * n_hidden, dtype=floatX), name="lstm_b", borrow=True)
        self.params = [self.W, self.U, self.b]

        def gate(preact, k):
            return preact[:, k * n_hidden:(k + 1) * n_hidden]

        def step(m_, x_, h_, c_, U):
            preact = pt.dot(h_, U) + x_
            i = pt.sigmoid(gate(preact, 0))
            f = pt.sigmoid(gate(preact, 1) + forget_bias)
            o = pt.sigmoid(gate(preact, 2))
            c = f * c_ + i * activation(gate(preact, 3))
            c = m_[:, None] * c + (1.0 - m_)[:, None] * c_
            h = o * activation(c)
            h = m_[:, None] * h + (1.0 - m_)[:, None] * h_
            return h, c

        n_samples = input.shape[1]
        zeros = pt.zeros((n_samples, n_hidden), dtype=floatX)
        input_products = pt.dot(input, self.W) + self.b
        self.output, self.cells = pytensor.scan(step, sequences=[mask, input_products], outputs_info=[zeros, zeros],
                                                non_sequences=[self.U], n_steps=input.shape[0], name="lstm_layers",
                                                mode=compile_mode(mode),
                                                strict=True, return_updates=False)


class SentimentLSTM:
    """Word embedding, one LSTM layer, mean pooling over time, dropout, softmax."""

    def __init__(self, rng, x, mask, n_words, dim_proj, ydim, use_dropout=True, *, mode=None):
        """
        :param rng: numpy RandomState drawing Wemb, the LSTM's W and U, then the classifier's U
        :param x: symbolic (time, samples) int64 word indices
        :param mask: symbolic (time, samples) mask
        :param use_dropout: halve the pooled features at random during training (``use_noise`` on)
        :param mode: the compile mode of the LSTM's scan (None: the default)
        """
        floatX = pytensor.config.floatX
        self.Wemb = pytensor.shared((0.01 * rng.rand(n_words, dim_proj)).astype(floatX), name="Wemb", borrow=True)
        emb = self.Wemb[x]  # (time, samples, dim_proj)
        self.lstm = LSTM(rng, emb, mask, dim_proj, dim_proj, mode=mode)
        self.U = pytensor.shared((0.01 * rng.randn(dim_proj, ydim)).astype(floatX), name="U", borrow=True)
        self.b = pytensor.shared(numpy.zeros(ydim, dtype=floatX), name="b", borrow=True)
        self.params = [self.Wemb] + self.lstm.params + [self.U, self.b]

        proj = (self.lstm.output * mask[:, :, None]).sum(axis=0) / mask.sum(axis=0)[:, None]
        self.use_noise = pytensor.shared(numpy.asarray(0.0, dtype=floatX), name="use_noise")
        if use_dropout:
            keep = pt.cast(random_stream(SEED).binomial(n=1, p=0.5, size=proj.shape), floatX)
            proj = pt.switch(self.use_noise, proj * keep, proj * 0.5)
        self.p_y_given_x = pt.special.softmax(pt.dot(proj, self.U) + self.b, axis=-1)
        self.y_pred = pt.argmax(self.p_y_given_x, axis=1)

    def negative_log_likelihood(self, y):
        """Mean of ``-log p(y|x)`` over the minibatch (with the tutorial's 1e-8 guard)."""
        return -pt.log(self.p_y_given_x[pt.arange(y.shape[0]), y] + 1e-8).mean()


OPTIMIZERS = {  # name -> updates, as train_lstm's optimizer= takes them
    "adadelta": lambda cost, params, lrate: adadelta(cost, params, lr=1.0, rho=0.95, epsilon=1e-6),
    "rmsprop": lambda cost, params, lrate: rmsprop(cost, params, lr=lrate, rho=0.95, epsilon=1e-4),
    "sgd": lambda cost, params, lrate: sgd(cost, params, lr=lrate),
}


def get_minibatches_idx(n, minibatch_size, shuffle=False, rng=None):
    """Index arrays of the minibatches of ``n`` examples (the last one holds what is left)."""
    idx = numpy.arange(n, dtype="int32")
    if shuffle:
        rng.shuffle(idx)
    return [idx[start:start + minibatch_size] for start in range(0, n, minibatch_size)]


def pred_error(f_pred, data, minibatches):
    """The fraction of ``data`` that ``f_pred`` misclassifies."""
    wrong = 0
    for index in minibatches:
        x, mask, y = prepare_data([data[0][t] for t in index], [data[1][t] for t in index])
        wrong += int((f_pred(x, mask) != y).sum())
    return 1.0 - (len(data[0]) - wrong) / len(data[0])


def train_lstm(dim_proj=128, patience=10, max_epochs=5000, dispFreq=10, decay_c=0.0, lrate=0.0001, n_words=10000,
               optimizer="adadelta", encoder="lstm", saveto="lstm_model.npz", validFreq=370, saveFreq=1110,
               maxlen=100, batch_size=16, valid_batch_size=64, dataset="imdb.pkl", noise_std=0.0,
               use_dropout=True, reload_model=None, test_size=-1, *, output_folder=None, mode=None,
               floatX="float32"):
    """Train the LSTM sentiment classifier with the tutorial's options; return the run's record.

    :param dim_proj: word embedding dimension and number of LSTM units
    :param patience: validations without progress before stopping early
    :param optimizer: "adadelta" (default), "rmsprop" or "sgd" (uses ``lrate``)
    :param saveto: the best parameters' ``.npz``, in the run's folder ('' saves none)
    :param validFreq: validate every this many updates; ``saveFreq``: save the best parameters
    :param maxlen: training sequences this long or longer are dropped
    :param dataset: ``imdb.pkl`` (see :func:`dltutorial.imdb.find_imdb`) or ``synthetic``
    :param reload_model: a saved ``.npz`` to start from
    :param test_size: keep this many random test examples (>0)
    :param output_folder: the run's folder (default: a new ``runs/lstm-<timestamp>/``); the folder
        of an interrupted run resumes it after its last finished epoch

    ``encoder`` must be "lstm" and ``noise_std`` is unused, as in the original.
    The original returned ``(train_err, valid_err, test_err)``; they are the
    record's ``train_err``, ``valid_err`` and ``test_err``.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
    if encoder != "lstm":
        raise ValueError(f"unknown encoder {encoder!r}; the tutorial's model is 'lstm'")
    with Run("lstm", locals()) as run:
        model_options = dict(run.record["parameters"])
        print("model options", model_options)
        rng = numpy.random.RandomState(SEED)
        saveto = run.path(saveto) if saveto else None

        print("Loading data")
        train, valid, test = load_data(dataset, n_words=n_words, valid_portion=0.05, maxlen=maxlen, rng=rng)
        if test_size > 0:
            idx = numpy.arange(len(test[0]))
            rng.shuffle(idx)
            test = ([test[0][n] for n in idx[:test_size]], [test[1][n] for n in idx[:test_size]])
        ydim = int(numpy.max(train[1])) + 1

        print("Building model")
        x = pt.matrix("x", dtype="int64")
        mask = pt.matrix("mask")
        y = pt.vector("y", dtype="int64")
        model = SentimentLSTM(rng, x, mask, n_words, dim_proj, ydim, use_dropout, mode=run.mode)
        if reload_model:
            load_params(reload_model, model.params)
        cost = model.negative_log_likelihood(y)
        if decay_c > 0.0:
            cost += decay_c * (model.U ** 2).sum()
        f_pred = compile_function([x, mask], model.y_pred, name="f_pred", mode=run.mode)
        f_train = compile_function([x, mask, y], cost, name="f_train", mode=run.mode,
                                   updates=OPTIMIZERS[optimizer](cost, model.params, lrate))

        print("Optimization")
        kf_valid = get_minibatches_idx(len(valid[0]), valid_batch_size)
        kf_test = get_minibatches_idx(len(test[0]), valid_batch_size)
        print("%d train examples" % len(train[0]))
        print("%d valid examples" % len(valid[0]))
        print("%d test examples" % len(test[0]))
        if validFreq == -1:
            validFreq = len(train[0]) // batch_size
        if saveFreq == -1:
            saveFreq = len(train[0]) // batch_size

        loop = {"epoch": 0, "history_errs": [], "best_p": None, "bad_counter": 0, "uidx": 0, "epoch_seconds": [],
                "estop": False}
        checkpoint = Checkpoint(run.checkpoint("training"), [f_train])
        saved = checkpoint.restore()
        if saved is not None:
            loop = saved["loop"]
            rng.set_state(saved["rng"])
            print("... resuming after epoch %i from %s" % (loop["epoch"], checkpoint.path))
        history_errs = loop["history_errs"]
        start_time = time.time() - sum(loop["epoch_seconds"])
        try:
            while loop["epoch"] < max_epochs and not loop["estop"]:
                eidx = loop["epoch"]
                epoch_start, n_samples = time.time(), 0
                for train_index in get_minibatches_idx(len(train[0]), batch_size, shuffle=True, rng=rng):
                    loop["uidx"] += 1
                    uidx = loop["uidx"]
                    model.use_noise.set_value(numpy.asarray(1.0, dtype=pytensor.config.floatX))
                    bx, bmask, by = prepare_data([train[0][t] for t in train_index], [train[1][t] for t in train_index])
                    n_samples += bx.shape[1]
                    cost = float(f_train(bx, bmask, by))
                    if not numpy.isfinite(cost):
                        print("bad cost detected: ", cost)
                        run.record.update(train_err=1.0, valid_err=1.0, test_err=1.0, bad_cost=True)
                        return run.record
                    if uidx % dispFreq == 0:
                        print("Epoch ", eidx, "Update ", uidx, "Cost ", cost)
                    if saveto and uidx % saveFreq == 0:
                        print("Saving...", end=" ")
                        save_params(saveto, loop["best_p"] or unzip(model.params), history_errs=history_errs)
                        print("Done")
                    if uidx % validFreq == 0:
                        model.use_noise.set_value(numpy.asarray(0.0, dtype=pytensor.config.floatX))
                        train_err = pred_error(f_pred, train, get_minibatches_idx(len(train[0]), batch_size))
                        valid_err = pred_error(f_pred, valid, kf_valid)
                        test_err = pred_error(f_pred, test, kf_test)
                        history_errs.append([valid_err, test_err])
                        if loop["best_p"] is None or valid_err <= numpy.array(history_errs)[:, 0].min():
                            loop["best_p"] = unzip(model.params)
                            loop["bad_counter"] = 0
                        print("Train ", train_err, "Valid ", valid_err, "Test ", test_err)
                        if len(history_errs) > patience and valid_err >= numpy.array(history_errs)[:-patience, 0].min():
                            loop["bad_counter"] += 1
                            if loop["bad_counter"] > patience:
                                print("Early Stop!")
                                loop["estop"] = True
                                break
                loop["epoch_seconds"].append(time.time() - epoch_start)
                loop["epoch"] += 1
                print("Seen %d samples" % n_samples)
                checkpoint.save({"loop": loop, "rng": rng.get_state()})
        except KeyboardInterrupt:
            print("Training interupted")
            run.record["interrupted"] = True
        end_time = time.time()

        best_p = loop["best_p"]
        if best_p is not None:
            zipp(best_p, model.params)
        else:
            best_p = unzip(model.params)
        model.use_noise.set_value(numpy.asarray(0.0, dtype=pytensor.config.floatX))
        train_err = pred_error(f_pred, train, get_minibatches_idx(len(train[0]), batch_size))
        valid_err = pred_error(f_pred, valid, kf_valid)
        test_err = pred_error(f_pred, test, kf_test)
        print("Train ", train_err, "Valid ", valid_err, "Test ", test_err)
        n_epochs = len(loop["epoch_seconds"]) or 1
        if saveto:
            save_params(saveto, best_p, train_err=train_err, valid_err=valid_err, test_err=test_err,
                        history_errs=history_errs)
        run.record.update(train_err=train_err, valid_err=valid_err, test_err=test_err, history_errs=history_errs,
                          epoch_seconds=loop["epoch_seconds"], updates=loop["uidx"],
                          best_validation_error=valid_err, test_error=test_err)
        print("The code run for %d epochs, with %f sec/epochs" % (n_epochs, (end_time - start_time) / n_epochs))
        print("Training took %.1fs" % (end_time - start_time), file=sys.stderr)
    return run.record


def unzip(params):
    """The parameters' current values, by name (to keep the best model)."""
    return {p.name: p.get_value() for p in params}


def zipp(values, params):
    """Set the parameters to saved values (by name)."""
    for p in params:
        p.set_value(values[p.name])


def save_params(path, values, **extra):
    """Save parameter values (and ``extra`` arrays) to an ``.npz`` atomically."""
    with atomic_write(path) as f:
        numpy.savez(f, **values, **{k: numpy.asarray(v) for k, v in extra.items()})


def load_params(path, params):
    """Load the named parameters from a saved ``.npz``; a missing one is an error."""
    with numpy.load(path) as saved:
        missing = [p.name for p in params if p.name not in saved]
        if missing:
            raise ValueError(f"{path}: no saved values for {', '.join(missing)}")
        zipp({p.name: saved[p.name] for p in params}, params)
