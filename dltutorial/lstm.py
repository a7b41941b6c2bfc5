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

The sentiment model (:func:`build_model`) embeds each word, runs one LSTM
layer, averages its outputs over the words of each review (the mask says
which positions are words and which are padding), and classifies the
average with a softmax.

The module keeps the original's functional API: parameters live in an
ordered dict of numpy arrays (:func:`init_params`), then of shared variables
(:func:`init_tparams`), named ``Wemb``, ``lstm_W``, ``lstm_U``, ``lstm_b``,
``U`` and ``b``; an ``options`` dict (``train_lstm``'s arguments) says how
to build the graph; each optimiser compiles two functions, one that stores
the gradients and one that applies the update.  Where the original drew
from numpy's global generator, each function also takes a keyword ``rng``
(``train_lstm`` passes a RandomState seeded with ``SEED``).
"""

import sys
import time
from collections import OrderedDict

import numpy
import pytensor
import pytensor.tensor as pt

from .core.checkpoints import resume_loop
from .core.compile import compile_function
from .core.errors import ArgumentError, TrainingDiverged
from .core.files import atomic_write, save_pickle
from .core.modes import compile_mode
from .core.random_init import random_stream
from .core.runs import Run
from .imdb import load_data, prepare_data

SEED = 123


def numpy_floatX(data):
    """``data`` as a numpy array of PyTensor's floatX."""
    return numpy.asarray(data, dtype=pytensor.config.floatX)


def get_minibatches_idx(n, minibatch_size, shuffle=False, rng=None):
    """``[(i, indices), ...]``: the minibatches of ``n`` examples, the last one holding what is left.

    :param rng: the RandomState that shuffles (default: numpy's global one, as the original)
    """
    idx_list = numpy.arange(n, dtype="int32")
    if shuffle:
        (rng or numpy.random).shuffle(idx_list)
    minibatches = [idx_list[start:start + minibatch_size] for start in range(0, n, minibatch_size)]
    return list(zip(range(len(minibatches)), minibatches))


def get_dataset(name):
    """``(load_data, prepare_data)`` for ``name``: "imdb" (imdb.pkl), "synthetic" or a path to an imdb.pkl."""
    path = "imdb.pkl" if name == "imdb" else name
    return (lambda **kwargs: load_data(path, **kwargs)), prepare_data


def zipp(params, tparams):
    """Set the shared variables ``tparams`` to the values in ``params`` (a dict by name)."""
    for kk, vv in params.items():
        tparams[kk].set_value(vv)


def unzip(zipped):
    """The current values of the shared variables ``zipped``, as a dict by name."""
    return OrderedDict((kk, vv.get_value()) for kk, vv in zipped.items())


def dropout_layer(state_before, use_noise, trng):
    """Keep each unit with probability 0.5 while ``use_noise`` is 1; halve every unit otherwise."""
    return pt.switch(use_noise,
                     state_before * trng.binomial(state_before.shape, p=0.5, n=1, dtype=state_before.dtype),
                     state_before * 0.5)


def _p(pp, name):
    return "%s_%s" % (pp, name)


def init_params(options, *, rng=None):
    """The model's initial parameters, an ordered dict of numpy arrays (embedding, encoder, classifier)."""
    rng = rng or numpy.random
    params = OrderedDict()
    params["Wemb"] = (0.01 * rng.rand(options["n_words"], options["dim_proj"])).astype(pytensor.config.floatX)
    params = get_layer(options["encoder"])[0](options, params, prefix=options["encoder"], rng=rng)
    params["U"] = (0.01 * rng.randn(options["dim_proj"], options["ydim"])).astype(pytensor.config.floatX)
    params["b"] = numpy.zeros((options["ydim"],)).astype(pytensor.config.floatX)
    return params


def load_params(path, params):
    """``params`` with each value replaced by the one saved under its name in the ``.npz`` at ``path``."""
    with numpy.load(path) as pp:
        missing = [kk for kk in params if kk not in pp]
        if missing:
            raise ValueError(f"{path}: no saved values for {', '.join(missing)}")
        for kk in params:
            params[kk] = pp[kk]
    return params


def init_tparams(params):
    """Shared variables for the arrays of ``params``, by the same names."""
    return OrderedDict((kk, pytensor.shared(pp, name=kk)) for kk, pp in params.items())


def get_layer(name):
    """``(param_init, layer)`` for an encoder name ("lstm")."""
    return layers[name]


def ortho_weight(ndim, n_cols=None, *, rng=None):
    """An orthogonal matrix: the left singular vectors of a Gaussian matrix (the tutorial's init).

    ``n_cols`` (ours) asks for a non-square shape: the nearest matrix with
    orthonormal rows or columns (``u @ vt``), for an input narrower or wider
    than the layer.
    """
    n_cols = n_cols or ndim
    u, _, vt = numpy.linalg.svd((rng or numpy.random).randn(ndim, n_cols), full_matrices=False)
    return (u if ndim == n_cols else u @ vt).astype(pytensor.config.floatX)


def param_init_lstm(options, params, prefix="lstm", *, rng=None):
    """Add the LSTM's ``W`` (input to the four gates), ``U`` (state to the gates) and ``b`` to ``params``.

    Reads ``options["dim_proj"]`` (units) and, ours, ``options["n_in"]`` (input
    width, default ``dim_proj``).
    """
    dim, n_in = options["dim_proj"], options.get("n_in", options["dim_proj"])
    params[_p(prefix, "W")] = numpy.concatenate([ortho_weight(n_in, dim, rng=rng) for _ in range(4)], axis=1)
    params[_p(prefix, "U")] = numpy.concatenate([ortho_weight(dim, rng=rng) for _ in range(4)], axis=1)
    params[_p(prefix, "b")] = numpy.zeros((4 * dim,)).astype(pytensor.config.floatX)
    return params


def lstm_layer(tparams, state_below, options, prefix="lstm", mask=None, *, mode=None):
    """The (time, samples, dim_proj) outputs h of the LSTM over ``state_below``, a scan over time.

    Where ``mask`` is 0 (padding after a sequence's end) the step carries
    ``h`` and ``c`` unchanged.  Ours: ``options["activ"]`` replaces tanh (text
    003 uses relu), ``options["forget_bias"]`` is added to the forget gate
    (TensorFlow's BasicLSTMCell adds 1), and ``mode`` compiles the scan.
    """
    assert mask is not None
    dim_proj = options["dim_proj"]
    activ = options.get("activ", pt.tanh)
    forget_bias = options.get("forget_bias", 0.0)

    def _slice(_x, n, dim):
        return _x[:, n * dim:(n + 1) * dim]

    # start-snippet-1
    def _step(m_, x_, h_, c_, U):
        preact = pt.dot(h_, U) + x_
        i = pt.sigmoid(_slice(preact, 0, dim_proj))
        f = pt.sigmoid(_slice(preact, 1, dim_proj) + forget_bias)
        o = pt.sigmoid(_slice(preact, 2, dim_proj))
        c = activ(_slice(preact, 3, dim_proj))
        c = f * c_ + i * c
        c = m_[:, None] * c + (1.0 - m_)[:, None] * c_
        h = o * activ(c)
        h = m_[:, None] * h + (1.0 - m_)[:, None] * h_
        return h, c

    state_below = pt.dot(state_below, tparams[_p(prefix, "W")]) + tparams[_p(prefix, "b")]
    zeros = pt.zeros((state_below.shape[1], dim_proj), dtype=pytensor.config.floatX)
    h, _ = pytensor.scan(_step, sequences=[mask, state_below], outputs_info=[zeros, zeros],
                         non_sequences=[tparams[_p(prefix, "U")]], name=_p(prefix, "_layers"),
                         n_steps=state_below.shape[0], mode=compile_mode(mode), strict=True, return_updates=False)
    return h
    # end-snippet-1


layers = {"lstm": (param_init_lstm, lstm_layer)}


def _zeros_like_params(tparams, suffix):
    return [pytensor.shared(p.get_value() * numpy_floatX(0.0), name="%s_%s" % (k, suffix)) for k, p in tparams.items()]


def sgd(lr, tparams, grads, x, mask, y, cost, *, mode=None):
    """Stochastic gradient descent as two compiled functions: store the gradients, then ``p <- p - lr g``."""
    gshared = _zeros_like_params(tparams, "grad")
    f_grad_shared = compile_function([x, mask, y], cost, updates=list(zip(gshared, grads)), name="sgd_f_grad_shared",
                                     mode=mode)
    pup = [(p, p - lr * g) for p, g in zip(tparams.values(), gshared)]
    f_update = compile_function([lr], [], updates=pup, name="sgd_f_update", mode=mode)
    return f_grad_shared, f_update


def adadelta(lr, tparams, grads, x, mask, y, cost, *, mode=None):
    """Adadelta (Zeiler, 2012) with rho 0.95 and epsilon 1e-6; ``lr`` is not used.

    ``f_grad_shared`` stores ``g`` and updates ``E[g^2]``; ``f_update`` steps
    ``-sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g`` and updates ``E[dx^2]``.
    """
    # start-snippet-2
    zipped_grads = _zeros_like_params(tparams, "grad")
    running_up2 = _zeros_like_params(tparams, "rup2")
    running_grads2 = _zeros_like_params(tparams, "rgrad2")
    zgup = list(zip(zipped_grads, grads))
    rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2)) for rg2, g in zip(running_grads2, grads)]
    f_grad_shared = compile_function([x, mask, y], cost, updates=zgup + rg2up, name="adadelta_f_grad_shared",
                                     mode=mode)
    updir = [-pt.sqrt(ru2 + 1e-6) / pt.sqrt(rg2 + 1e-6) * zg
             for zg, ru2, rg2 in zip(zipped_grads, running_up2, running_grads2)]
    ru2up = [(ru2, 0.95 * ru2 + 0.05 * (ud ** 2)) for ru2, ud in zip(running_up2, updir)]
    param_up = [(p, p + ud) for p, ud in zip(tparams.values(), updir)]
    f_update = compile_function([lr], [], updates=ru2up + param_up, on_unused_input="ignore",
                                name="adadelta_f_update", mode=mode)
    return f_grad_shared, f_update
    # end-snippet-2


def rmsprop(lr, tparams, grads, x, mask, y, cost, *, mode=None):
    """The original's RMSProp variant (Graves, 2013), with momentum 0.9 and step 1e-4; ``lr`` is not used.

    Running means of ``g`` and ``g^2`` (0.95); the step divides ``g`` by
    ``sqrt(E[g^2] - E[g]^2 + 1e-4)``, a running standard deviation.
    """
    zipped_grads = _zeros_like_params(tparams, "grad")
    running_grads = _zeros_like_params(tparams, "rgrad")
    running_grads2 = _zeros_like_params(tparams, "rgrad2")
    zgup = list(zip(zipped_grads, grads))
    rgup = [(rg, 0.95 * rg + 0.05 * g) for rg, g in zip(running_grads, grads)]
    rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2)) for rg2, g in zip(running_grads2, grads)]
    f_grad_shared = compile_function([x, mask, y], cost, updates=zgup + rgup + rg2up, name="rmsprop_f_grad_shared",
                                     mode=mode)
    updir = _zeros_like_params(tparams, "updir")
    updir_new = [(ud, 0.9 * ud - 1e-4 * zg / pt.sqrt(rg2 - rg ** 2 + 1e-4))
                 for ud, zg, rg, rg2 in zip(updir, zipped_grads, running_grads, running_grads2)]
    param_up = [(p, p + udn[1]) for p, udn in zip(tparams.values(), updir_new)]
    f_update = compile_function([lr], [], updates=updir_new + param_up, on_unused_input="ignore",
                                name="rmsprop_f_update", mode=mode)
    return f_grad_shared, f_update


def build_model(tparams, options, *, mode=None):
    """The sentiment classifier's graph and its two prediction functions (compiled with ``mode``).

    Returns ``(use_noise, x, mask, y, f_pred_prob, f_pred, cost)``: dropout is
    on while the shared ``use_noise`` is 1; ``x`` is (time, samples) word
    indices, ``mask`` marks the words, ``y`` the labels; ``cost`` the mean
    negative log-likelihood.  The dropout stream is seeded with ``options["seed"]`` (default ``SEED``).
    """
    trng = random_stream(options.get("seed", SEED))
    use_noise = pytensor.shared(numpy_floatX(0.0), name="use_noise")
    x = pt.matrix("x", dtype="int64")
    mask = pt.matrix("mask", dtype=pytensor.config.floatX)
    y = pt.vector("y", dtype="int64")
    n_timesteps, n_samples = x.shape[0], x.shape[1]

    # start-snippet-3
    emb = tparams["Wemb"][x.flatten()].reshape([n_timesteps, n_samples, options["dim_proj"]])
    proj = get_layer(options["encoder"])[1](tparams, emb, options, prefix=options["encoder"], mask=mask, mode=mode)
    if options["encoder"] == "lstm":
        proj = (proj * mask[:, :, None]).sum(axis=0)
        proj = proj / mask.sum(axis=0)[:, None]
    if options["use_dropout"]:
        proj = dropout_layer(proj, use_noise, trng)
    pred = pt.special.softmax(pt.dot(proj, tparams["U"]) + tparams["b"], axis=-1)
    # end-snippet-3

    f_pred_prob = compile_function([x, mask], pred, name="f_pred_prob", mode=mode)
    f_pred = compile_function([x, mask], pred.argmax(axis=1), name="f_pred", mode=mode)
    off = 1e-6 if pred.dtype == "float16" else 1e-8
    cost = -pt.log(pred[pt.arange(n_samples), y] + off).mean()
    return use_noise, x, mask, y, f_pred_prob, f_pred, cost


def pred_probs(f_pred_prob, prepare_data, data, iterator, verbose=False):
    """The class probabilities of every example of ``data``, minibatch by minibatch of ``iterator``."""
    n_samples = len(data[0])
    probs = numpy.zeros((n_samples, 2)).astype(pytensor.config.floatX)
    n_done = 0
    for _, valid_index in iterator:
        x, mask, y = prepare_data([data[0][t] for t in valid_index], numpy.array(data[1])[valid_index], maxlen=None)
        probs[valid_index, :] = f_pred_prob(x, mask)
        n_done += len(valid_index)
        if verbose:
            print("%d/%d samples classified" % (n_done, n_samples))
    return probs


def pred_error(f_pred, prepare_data, data, iterator, verbose=False):
    """The fraction of ``data`` that ``f_pred`` misclassifies."""
    valid_err = 0
    for _, valid_index in iterator:
        x, mask, y = prepare_data([data[0][t] for t in valid_index], numpy.array(data[1])[valid_index], maxlen=None)
        preds = f_pred(x, mask)
        targets = numpy.array(data[1])[valid_index]
        valid_err += (preds == targets).sum()
    return 1.0 - numpy_floatX(valid_err) / len(data[0])


OPTIMIZERS = {"adadelta": adadelta, "rmsprop": rmsprop, "sgd": sgd}


def train_lstm(dim_proj=128, patience=10, max_epochs=5000, dispFreq=10, decay_c=0.0, lrate=0.0001, n_words=10000,
               optimizer=adadelta, encoder="lstm", saveto="lstm_model.npz", validFreq=370, saveFreq=1110,
               maxlen=100, batch_size=16, valid_batch_size=64, dataset="imdb", noise_std=0.0,
               use_dropout=True, reload_model=None, test_size=-1, *, seed=SEED, output_folder=None,
               mode=None, floatX="float32"):
    """Train the LSTM sentiment classifier with the tutorial's options; return the run's record.

    :param dim_proj: word embedding dimension and number of LSTM units
    :param patience: validations without progress before stopping early
    :param optimizer: ``adadelta`` (default), ``rmsprop`` or ``sgd`` (uses ``lrate``), the functions
        or their names
    :param saveto: the best parameters' ``.npz``, in the run's folder ('' saves none)
    :param validFreq: validate every this many updates; ``saveFreq``: save the best parameters
    :param maxlen: training sequences this long or longer are dropped
    :param dataset: "imdb" (``imdb.pkl``, see :func:`dltutorial.imdb.find_imdb`), a path to one,
        or "synthetic"
    :param reload_model: a saved ``.npz`` to start from (``True``: ``saveto``, as the original read it)
    :param test_size: keep this many random test examples (>0)
    :param seed: seeds the generator of the validation split, the initial weights and the shuffles, and the
        dropout stream (the original's ``SEED = 123`` for both)
    :param output_folder: the run's folder (default: a new ``runs/lstm-<timestamp>/``); the folder
        of an interrupted run resumes it after its last finished epoch

    ``encoder`` must be "lstm" and ``noise_std`` is unused, as in the original.
    The original returned ``(train_err, valid_err, test_err)``; they are the
    record's ``train_err``, ``valid_err`` and ``test_err``.
    """
    optimizer = OPTIMIZERS.get(optimizer, optimizer)
    if optimizer not in OPTIMIZERS.values():
        raise ArgumentError(f"unknown optimizer {optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
    if encoder not in layers:
        raise ArgumentError(f"unknown encoder {encoder!r}; the tutorial's model is 'lstm'")
    if reload_model is True:  # the original's flag: it reloaded 'lstm_model.npz', saveto's default
        reload_model = saveto
    with Run("lstm", dict(dim_proj=dim_proj, patience=patience, max_epochs=max_epochs, dispFreq=dispFreq,
                          decay_c=decay_c, lrate=lrate, n_words=n_words, optimizer=optimizer, encoder=encoder,
                          saveto=saveto, validFreq=validFreq, saveFreq=saveFreq, maxlen=maxlen, batch_size=batch_size,
                          valid_batch_size=valid_batch_size, dataset=dataset, noise_std=noise_std,
                          use_dropout=use_dropout, reload_model=reload_model, test_size=test_size, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        model_options = dict(run.record["parameters"])
        print("model options", model_options)
        rng = numpy.random.RandomState(seed)
        saveto = run.path(saveto) if saveto else None
        load_data, prepare_data = get_dataset(dataset)

        print("Loading data")
        train, valid, test = load_data(n_words=n_words, valid_portion=0.05, maxlen=maxlen, rng=rng)
        if test_size > 0:
            idx = numpy.arange(len(test[0]))
            rng.shuffle(idx)
            idx = idx[:test_size]
            test = ([test[0][n] for n in idx], [test[1][n] for n in idx])
        model_options["ydim"] = int(numpy.max(train[1])) + 1

        print("Building model")
        params = init_params(model_options, rng=rng)
        if reload_model:
            load_params(reload_model, params)
        tparams = init_tparams(params)
        use_noise, x, mask, y, f_pred_prob, f_pred, cost = build_model(tparams, model_options, mode=run.mode)
        if decay_c > 0.0:
            decay_c = pytensor.shared(numpy_floatX(decay_c), name="decay_c")
            weight_decay = 0.0
            weight_decay += (tparams["U"] ** 2).sum()
            weight_decay *= decay_c
            cost += weight_decay
        grads = pt.grad(cost, wrt=list(tparams.values()))
        lr = pt.scalar(name="lr")
        f_grad_shared, f_update = optimizer(lr, tparams, grads, x, mask, y, cost, mode=run.mode)

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
        checkpoint, saved = resume_loop(run.checkpoint("training"), [f_grad_shared, f_update],
                                        {"epoch": 0, "loop": loop, "rng": rng.get_state()})
        loop = saved["loop"]
        rng.set_state(saved["rng"])
        history_errs = loop["history_errs"]
        start_time = time.time() - sum(loop["epoch_seconds"])
        try:
            while loop["epoch"] < max_epochs and not loop["estop"]:
                eidx = loop["epoch"]
                epoch_start, n_samples = time.time(), 0
                kf = get_minibatches_idx(len(train[0]), batch_size, shuffle=True, rng=rng)
                for _, train_index in kf:
                    loop["uidx"] += 1
                    uidx = loop["uidx"]
                    use_noise.set_value(numpy_floatX(1.0))
                    bx, bmask, by = prepare_data([train[0][t] for t in train_index], [train[1][t] for t in train_index])
                    n_samples += bx.shape[1]
                    cost = float(f_grad_shared(bx, bmask, by))
                    f_update(lrate)
                    if not numpy.isfinite(cost):
                        print("bad cost detected: ", cost)
                        raise TrainingDiverged(f"the training cost became {cost} at epoch {eidx}, update {uidx}: "
                                               "lower the learning rate (--lrate; the checkpoint keeps the last "
                                               "finished epoch)")
                    if uidx % dispFreq == 0:
                        print("Epoch ", eidx, "Update ", uidx, "Cost ", cost)
                    if saveto and uidx % saveFreq == 0:
                        print("Saving...", end=" ")
                        save_params(saveto, loop["best_p"] or unzip(tparams), history_errs=history_errs)
                        save_pickle(model_options, "%s.pkl" % saveto)
                        print("Done")
                    if uidx % validFreq == 0:
                        use_noise.set_value(numpy_floatX(0.0))
                        train_err = float(pred_error(f_pred, prepare_data, train, kf))
                        valid_err = float(pred_error(f_pred, prepare_data, valid, kf_valid))
                        test_err = float(pred_error(f_pred, prepare_data, test, kf_test))
                        history_errs.append([valid_err, test_err])
                        if loop["best_p"] is None or valid_err <= numpy.array(history_errs)[:, 0].min():
                            loop["best_p"] = unzip(tparams)
                            loop["bad_counter"] = 0
                        print(("Train ", train_err, "Valid ", valid_err, "Test ", test_err))
                        if len(history_errs) > patience and valid_err >= numpy.array(history_errs)[:-patience, 0].min():
                            loop["bad_counter"] += 1
                            if loop["bad_counter"] > patience:
                                print("Early Stop!")
                                loop["estop"] = True
                                break
                loop["epoch_seconds"].append(time.time() - epoch_start)
                loop["epoch"] += 1
                print("Seen %d samples" % n_samples)
                checkpoint.save({"epoch": loop["epoch"], "loop": loop, "rng": rng.get_state()})
        except KeyboardInterrupt:
            print("Training interupted")
            raise  # the run ends interrupted, as every tutorial's: run it again in its folder to go on
        end_time = time.time()

        best_p = loop["best_p"]
        if best_p is not None:
            zipp(best_p, tparams)
        else:
            best_p = unzip(tparams)
        use_noise.set_value(numpy_floatX(0.0))
        kf_train_sorted = get_minibatches_idx(len(train[0]), batch_size)
        train_err = float(pred_error(f_pred, prepare_data, train, kf_train_sorted))
        valid_err = float(pred_error(f_pred, prepare_data, valid, kf_valid))
        test_err = float(pred_error(f_pred, prepare_data, test, kf_test))
        print("Train ", train_err, "Valid ", valid_err, "Test ", test_err)
        n_epochs = len(loop["epoch_seconds"]) or 1
        if saveto:
            save_params(saveto, best_p, train_err=train_err, valid_err=valid_err, test_err=test_err,
                        history_errs=history_errs)
        run.record.update(train_err=train_err, valid_err=valid_err, test_err=test_err,
                          history_errs=history_errs,
                          epoch_seconds=loop["epoch_seconds"], updates=loop["uidx"],
                          best_validation_error=valid_err, test_error=test_err)
        print("The code run for %d epochs, with %f sec/epochs" % (n_epochs, (end_time - start_time) / n_epochs))
        print("Training took %.1fs" % (end_time - start_time), file=sys.stderr)
    return run.record


def save_params(path, values, **extra):
    """Save parameter values (and ``extra`` arrays) to an ``.npz`` atomically."""
    with atomic_write(path) as f:
        numpy.savez(f, **values, **{k: numpy.asarray(v) for k, v in extra.items()})
