"""The reference text's character model: an LSTM learns to continue "hihell" as "ihello".

Each character of the input is a one-hot vector; an LSTM of 5 units (relu
activation and a forget-gate bias of 1, as TensorFlow's ``BasicLSTMCell``
that the text uses) reads them in order, and a linear softmax layer
predicts the next character at every step.  The cost is the sequence
cross-entropy (mean over the steps), minimised by Adam with learning rate
0.1.  After a few hundred iterations the prediction is "ihello".
"""

import os
import timeit

import numpy
import pytensor
import pytensor.tensor as pt

from .compile import compile_function, entry_point, get_mode
from .files import save_json
from .lstm import LSTM
from .nnet import relu
from .plots import save_curves
from .updates import adam


def one_hot_sequence(text, alphabet):
    """``text`` as a (time, 1, len(alphabet)) one-hot tensor: one sequence, batch-size 1."""
    x = numpy.zeros((len(text), 1, len(alphabet)), dtype=pytensor.config.floatX)
    x[numpy.arange(len(text)), 0, [alphabet.index(ch) for ch in text]] = 1
    return x


@entry_point
def lstm_chars(text="hihello", hidden_size=5, learning_rate=0.1, iterations=2000, seed=1234,
               output_folder="lstm_chars", print_every=100):
    """Train the character model on ``text[:-1]`` -> ``text[1:]``; return the results record.

    :param text: the word to learn; the alphabet is its characters in order of appearance
    :param hidden_size: LSTM units
    :param seed: seeds the initial weights
    """
    alphabet = "".join(dict.fromkeys(text))  # "hielo" for "hihello", as the text's idx2char
    inputs, targets = text[:-1], text[1:]
    n_steps, n_classes = len(inputs), len(alphabet)
    x_data = one_hot_sequence(inputs, alphabet)
    y_data = numpy.array([alphabet.index(ch) for ch in targets], dtype="int64")

    rng = numpy.random.RandomState(seed)
    x = pt.tensor3("x", shape=(n_steps, 1, n_classes))
    y = pt.vector("y", dtype="int64", shape=(n_steps,))
    mask = pt.ones((n_steps, 1), dtype=pytensor.config.floatX)
    lstm = LSTM(rng, x, mask, n_classes, hidden_size, activation=relu, forget_bias=1.0)
    bound = numpy.sqrt(6.0 / (hidden_size + n_classes))
    softmax_w = pytensor.shared(rng.uniform(-bound, bound, (hidden_size, n_classes)).astype(pytensor.config.floatX),
                                name="softmax_w")
    softmax_b = pytensor.shared(numpy.zeros(n_classes, dtype=pytensor.config.floatX), name="softmax_b")
    logits = pt.dot(lstm.output[:, 0, :], softmax_w) + softmax_b  # (time, classes)
    loss = -pt.special.log_softmax(logits, axis=-1)[pt.arange(n_steps), y].mean()
    params = lstm.params + [softmax_w, softmax_b]
    train = compile_function([x, y], loss, updates=adam(loss, params, lr=learning_rate), name="train")
    predict = compile_function([x], pt.argmax(logits, axis=-1), name="predict")

    record = {"tutorial": "lstm_chars", "mode": get_mode(), "floatX": pytensor.config.floatX,
              "parameters": {"text": text, "hidden_size": hidden_size, "learning_rate": learning_rate,
                             "iterations": iterations, "seed": seed},
              "losses": [], "predictions": []}
    start_time = timeit.default_timer()
    for i in range(iterations):
        record["losses"].append(float(train(x_data, y_data)))
        if i % print_every == 0 or i == iterations - 1:
            prediction = "".join(alphabet[c] for c in predict(x_data))
            record["predictions"].append((i, prediction))
            print(i, "loss:", record["losses"][-1], "prediction:", prediction, "true Y:", targets)
    record["seconds"] = timeit.default_timer() - start_time
    record["final_loss"], record["final_prediction"] = record["losses"][-1], record["predictions"][-1][1]
    print("\tPrediction str:", record["final_prediction"])
    os.makedirs(output_folder, exist_ok=True)
    save_curves({"sequence cross-entropy": (numpy.arange(iterations), record["losses"])},
                os.path.join(output_folder, "loss.png"), xlabel="iteration", ylabel="loss",
                title=f"LSTM on {inputs!r} -> {targets!r}")
    save_json(record, os.path.join(output_folder, "results.json"))
    return record
