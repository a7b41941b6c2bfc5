"""The reference text's character model: an LSTM learns to continue "hihell" as "ihello".

Each character of the input is a one-hot vector; an LSTM of 5 units (relu
activation and a forget-gate bias of 1, as TensorFlow's ``BasicLSTMCell``
that the text uses) reads them in order, and a linear softmax layer
predicts the next character at every step.  The cost is the sequence
cross-entropy (mean over the steps), minimised by Adam with learning rate
0.1.  After a few hundred iterations the prediction is "ihello".
"""

import timeit

import numpy
import pytensor
import pytensor.tensor as pt

from .core.compile import compile_function
from .core.nnet import relu
from .core.plots import save_curves
from .core.runs import Run
from .core.updates import adam
from .lstm import init_tparams, lstm_layer, param_init_lstm


def one_hot_sequence(text, alphabet):
    """``text`` as a (time, 1, len(alphabet)) one-hot tensor: one sequence, batch-size 1."""
    x = numpy.zeros((len(text), 1, len(alphabet)), dtype=pytensor.config.floatX)
    x[numpy.arange(len(text)), 0, [alphabet.index(ch) for ch in text]] = 1
    return x


def lstm_chars(text="hihello", hidden_size=5, learning_rate=0.1, iterations=2000, seed=1234, print_every=100, *,
               output_folder=None, mode=None, floatX="float32"):
    """Train the character model on ``text[:-1]`` -> ``text[1:]``; return the run's record.

    :param text: the word to learn; the alphabet is its characters in order of appearance
    :param hidden_size: LSTM units
    :param seed: seeds the initial weights
    """
    with Run("lstm_chars", dict(text=text, hidden_size=hidden_size, learning_rate=learning_rate,
                                iterations=iterations, seed=seed, print_every=print_every),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        alphabet = "".join(dict.fromkeys(text))  # "hielo" for "hihello", as the text's idx2char
        inputs, targets = text[:-1], text[1:]
        n_steps, n_classes = len(inputs), len(alphabet)
        x_data = one_hot_sequence(inputs, alphabet)
        y_data = numpy.array([alphabet.index(ch) for ch in targets], dtype="int64")

        rng = numpy.random.RandomState(seed)
        x = pt.tensor3("x", shape=(n_steps, 1, n_classes))
        y = pt.vector("y", dtype="int64", shape=(n_steps,))
        mask = pt.ones((n_steps, 1), dtype=pytensor.config.floatX)
        # start-snippet-1
        options = {"dim_proj": hidden_size, "n_in": n_classes, "activ": relu, "forget_bias": 1.0}
        params = param_init_lstm(options, {}, rng=rng)
        bound = numpy.sqrt(6.0 / (hidden_size + n_classes))
        params["softmax_w"] = rng.uniform(-bound, bound, (hidden_size, n_classes)).astype(pytensor.config.floatX)
        params["softmax_b"] = numpy.zeros(n_classes, dtype=pytensor.config.floatX)
        tparams = init_tparams(params)
        h = lstm_layer(tparams, x, options, mask=mask, mode=run.mode)
        logits = pt.dot(h[:, 0, :], tparams["softmax_w"]) + tparams["softmax_b"]  # (time, classes)
        loss = -pt.special.log_softmax(logits, axis=-1)[pt.arange(n_steps), y].mean()
        params = list(tparams.values())
        train = compile_function([x, y], loss, updates=adam(loss, params, lr=learning_rate), name="train",
                                 mode=run.mode)
        predict = compile_function([x], pt.argmax(logits, axis=-1), name="predict", mode=run.mode)
        # end-snippet-1

        record = run.record
        record.update(losses=[], predictions=[])
        start_time = timeit.default_timer()
        for i in range(iterations):
            record["losses"].append(float(train(x_data, y_data)))
            if i % print_every == 0 or i == iterations - 1:
                prediction = "".join(alphabet[c] for c in predict(x_data))
                record["predictions"].append((i, prediction))
                print(i, "loss:", record["losses"][-1], "prediction:", prediction, "true Y:", targets)
        record["training_seconds"] = timeit.default_timer() - start_time
        record["final_loss"], record["final_prediction"] = record["losses"][-1], record["predictions"][-1][1]
        print("\tPrediction str:", record["final_prediction"])
        save_curves({"sequence cross-entropy": (numpy.arange(iterations), record["losses"])},
                    run.path("loss.png"), xlabel="iteration", ylabel="loss", title=f"LSTM on {inputs!r} -> {targets!r}")
    return run.record
