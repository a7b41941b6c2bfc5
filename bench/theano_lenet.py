"""Seconds per epoch of the original Theano LeNet5 step, run on Aesara (Theano's fork).

Theano itself no longer installs on Python 3.11 with numpy 2; Aesara 2.9 is
Theano's code base renamed, and still has the ``nnet.conv2d`` (CorrMM, im2col
+ BLAS) and ``signal.pool`` ops the tutorial used.  This script builds the
tutorial's network with them, exactly as ``convolutional_mlp.py`` did, and
times ``train_model`` on real MNIST.  It runs in its own environment:
``make bench-theano`` creates ``.venv-aesara`` (aesara, numpy<2) and runs it.

    python bench/theano_lenet.py --data ../shared/data/mnist [--batches 20 --repeats 3]
"""

import argparse
import gzip
import json
import os
import statistics
import timeit

os.environ.setdefault("AESARA_FLAGS", "floatX=float32")

import aesara  # noqa: E402
import aesara.tensor as at  # noqa: E402
import numpy  # noqa: E402
from aesara.tensor.nnet import conv2d  # noqa: E402
from aesara.tensor.signal import pool  # noqa: E402


def read_images(folder):
    """The first 50,000 MNIST training images and labels (the tutorial's training set)."""
    def read(name, offset):
        path = os.path.join(folder, name)
        with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
            return numpy.frombuffer(f.read(), numpy.uint8, offset=offset)
    x = read("train-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:50000] / 256.0
    y = read("train-labels-idx1-ubyte.gz", 8)[:50000]
    return x.astype(aesara.config.floatX), y.astype("int32")


def uniform(rng, shape, fan_in, fan_out):
    bound = numpy.sqrt(6.0 / (fan_in + fan_out))
    return aesara.shared(rng.uniform(-bound, bound, shape).astype(aesara.config.floatX))


def lenet_train_function(train_x, train_y, batch_size=500, nkerns=(20, 50), lr=0.1):
    """The tutorial's 20-50-500-10 network and its SGD step, with Theano's own conv2d and pool_2d."""
    rng = numpy.random.RandomState(23455)
    index, x, y = at.lscalar(), at.matrix(), at.ivector()
    floatX = aesara.config.floatX
    params, layer_input, image_shape = [], x.reshape((batch_size, 1, 28, 28)), (batch_size, 1, 28, 28)
    for n_in, n_out in ((1, nkerns[0]), (nkerns[0], nkerns[1])):
        filter_shape = (n_out, n_in, 5, 5)
        W = uniform(rng, filter_shape, n_in * 25, n_out * 25 // 4)
        b = aesara.shared(numpy.zeros(n_out, floatX))
        conv = conv2d(layer_input, W, filter_shape=filter_shape, input_shape=image_shape)
        layer_input = at.tanh(pool.pool_2d(conv, (2, 2), ignore_border=True) + b.dimshuffle("x", 0, "x", "x"))
        side = (image_shape[2] - 4) // 2
        image_shape = (batch_size, n_out, side, side)
        params += [W, b]
    W2 = uniform(rng, (nkerns[1] * 16, 500), nkerns[1] * 16, 500)
    b2 = aesara.shared(numpy.zeros(500, floatX))
    hidden = at.tanh(at.dot(layer_input.flatten(2), W2) + b2)
    W3, b3 = aesara.shared(numpy.zeros((500, 10), floatX)), aesara.shared(numpy.zeros(10, floatX))
    p_y = at.nnet.softmax(at.dot(hidden, W3) + b3)
    cost = -at.mean(at.log(p_y)[at.arange(y.shape[0]), y])
    params += [W2, b2, W3, b3]
    updates = [(p, p - lr * g) for p, g in zip(params, at.grad(cost, params))]
    data_x, data_y = aesara.shared(train_x), aesara.shared(train_y)
    return aesara.function([index], cost, updates=updates,
                           givens={x: data_x[index * batch_size:(index + 1) * batch_size],
                                   y: data_y[index * batch_size:(index + 1) * batch_size]})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder of the MNIST IDX files")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    train_x, train_y = read_images(args.data)
    start = timeit.default_timer()
    train = lenet_train_function(train_x, train_y)
    compile_seconds = timeit.default_timer() - start
    train(0)
    epochs = []
    for _ in range(args.repeats):
        start = timeit.default_timer()
        for i in range(args.batches):
            train(i)
        epochs.append((timeit.default_timer() - start) * 100 / args.batches)
    row = {"step": "lenet5", "mode": f"theano (aesara {aesara.__version__})", "floatX": aesara.config.floatX,
           "seconds_per_epoch": statistics.median(epochs), "min": min(epochs), "max": max(epochs),
           "compile_seconds": compile_seconds, "blas": aesara.config.blas__ldflags}
    print(json.dumps(row))


if __name__ == "__main__":
    main()
