"""Seconds per epoch of the tutorials' training steps, per compile mode, next to plain numpy.

``make bench`` (``python -m dltutorial.bench``) times, on real MNIST:

* ``logistic_sgd``: one epoch of ``train_model`` (batch 600);
* ``mlp``: one epoch of ``train_model`` (batch 20, 500 hidden units);
* ``SdA pretrain L0`` / ``L1``: the pretraining step of layer 0 / layer 1
  (batch 1, cached codes for layer 1), 784-1000-1000;
* ``SdA finetune``: the finetuning step of the 784-1000-1000-1000-10 network (batch 1);
* ``lenet5``: LeNet5's training step (batch 500, 20-50-500-10), ``--lenet-batches``
  of them scaled to the 100 of an epoch;
* ``rbm PCD-15``: the RBM tutorial's step (batch 20, 500 hidden units, 15 Gibbs steps);
* ``DBN pretrain L0``: the DBN's CD-1 step of its first RBM (batch 10, 784-1000).

Batch-size-1 phases are timed on ``--steps`` calls and scaled to the
50,000 calls of an epoch; the RBM and DBN steps on ``--steps`` examples
(``steps/20`` and ``steps/10`` calls); there is no PyTorch version of
these two.  Each figure is the median of ``--repeats`` runs (min-max
beside it); ``numpy`` is the same step written in plain numpy (matrix
products through numpy's BLAS; the batch-1 steps as BLAS-2 calls,
matrix-vector products and in-place rank-1 updates), timed in the same run as a floor;
``torch`` is an idiomatic PyTorch CPU version (autograd + ``torch.optim.SGD``),
timed when PyTorch is installed (it is not a dependency), and ``torch-cuda``
the same on the GPU when PyTorch sees one (data moved to the GPU once).
The table's header names the device JAX ran on.
Results go to ``runs/bench-<timestamp>/bench.json`` and ``bench.md``.
"""

import argparse
import importlib.util
import os
import platform
import statistics
import timeit

import numpy
import pytensor
import pytensor.tensor as pt
import scipy.linalg.blas
from numpy.lib.stride_tricks import sliding_window_view

from .compile import available_modes, compile_function, settings
from .convolutional_mlp import LeNet5
from .data import load_data, load_mnist
from .DBN import DBN
from .files import atomic_write, make_run_folder, save_json
from .machine import blas_libraries, cpu_model
from .logistic_sgd import LogisticRegression
from .mlp import MLP
from .rbm import RBM
from .SdA import SdA
from .training import minibatch_givens, sgd_training_function


STEPS = ("logistic_sgd", "mlp", "SdA pretrain L0", "SdA pretrain L1", "SdA finetune", "lenet5", "rbm PCD-15",
         "DBN pretrain L0")


def _sigmoid(a):
    return 1.0 / (1.0 + numpy.exp(-a))


def _softmax_grad(logits, labels):
    """Gradient of the mean NLL of a softmax layer with respect to its logits."""
    p = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[numpy.arange(len(labels)), labels] -= 1
    return p / len(labels)


def numpy_logistic(x, y, batch_size, lr=0.13):
    W, b = numpy.zeros((x.shape[1], 10), x.dtype), numpy.zeros(10, x.dtype)

    def step(i):
        xb, yb = x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]
        d = _softmax_grad(xb @ W + b, yb)
        W.__isub__(lr * (xb.T @ d))
        b.__isub__(lr * d.sum(0))
    return step


def numpy_mlp(x, y, batch_size, n_hidden=500, lr=0.01, L2=1e-4):
    rng = numpy.random.RandomState(1234)
    bound = numpy.sqrt(6.0 / (x.shape[1] + n_hidden))
    W1 = rng.uniform(-bound, bound, (x.shape[1], n_hidden)).astype(x.dtype)
    b1, W2, b2 = numpy.zeros(n_hidden, x.dtype), numpy.zeros((n_hidden, 10), x.dtype), numpy.zeros(10, x.dtype)

    def step(i):
        xb, yb = x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]
        h = numpy.tanh(xb @ W1 + b1)
        d2 = _softmax_grad(h @ W2 + b2, yb)
        d1 = (d2 @ W2.T) * (1 - h * h)
        W2.__isub__(lr * (h.T @ d2 + 2 * L2 * W2))
        b2.__isub__(lr * d2.sum(0))
        W1.__isub__(lr * (xb.T @ d1 + 2 * L2 * W1))
        b1.__isub__(lr * d1.sum(0))
    return step


def _blas(array):
    """gemv and ger for ``array``'s dtype (in-place rank-1 updates need Fortran order)."""
    return scipy.linalg.blas.get_blas_funcs(("gemv", "ger"), (array,))


def numpy_dA(x, n_hidden=1000, corruption=0.1, lr=0.001):
    """The batch-1 dA step with BLAS-2 calls: matrix-vector products and in-place rank-1 updates."""
    rng = numpy.random.RandomState(1)
    W = numpy.asfortranarray(rng.uniform(-0.1, 0.1, (x.shape[1], n_hidden)).astype(x.dtype))
    b, bp = numpy.zeros(n_hidden, x.dtype), numpy.zeros(x.shape[1], x.dtype)
    gemv, ger = _blas(W)

    def step(i):
        xi = x[i]
        tx = xi * (rng.uniform(size=xi.shape) > corruption)
        h = _sigmoid(gemv(1.0, W, tx, trans=1) + b)
        z = _sigmoid(gemv(1.0, W, h) + bp)
        dz = z - xi  # gradient of the cross-entropy with respect to z's logits
        dh = gemv(1.0, W, dz, trans=1) * h * (1 - h)
        ger(-lr, tx, dh, a=W, overwrite_a=1)
        ger(-lr, dz, h, a=W, overwrite_a=1)
        b.__isub__(lr * dh)
        bp.__isub__(lr * dz)
    return step


def numpy_rbm(x, batch_size, n_hidden, k, persistent, lr=0.1):
    """The RBM's CD-k (or PCD-k) step: k Gibbs steps, then the free-energy gradient."""
    rng = numpy.random.RandomState(1)
    bound = 4 * numpy.sqrt(6.0 / (x.shape[1] + n_hidden))
    W = rng.uniform(-bound, bound, (x.shape[1], n_hidden)).astype(x.dtype)
    hbias, vbias = numpy.zeros(n_hidden, x.dtype), numpy.zeros(x.shape[1], x.dtype)
    chain = numpy.zeros((batch_size, n_hidden), x.dtype)

    def sample(mean):
        return (rng.random_sample(mean.shape) < mean).astype(x.dtype)

    def step(i):
        v0 = x[i * batch_size:(i + 1) * batch_size]
        h0_mean = _sigmoid(v0 @ W + hbias)
        h = chain if persistent else sample(h0_mean)
        for _ in range(k):
            v = sample(_sigmoid(h @ W.T + vbias))
            h_mean = _sigmoid(v @ W + hbias)
            h = sample(h_mean)
        if persistent:
            chain[...] = h
        W.__iadd__(lr / batch_size * (v0.T @ h0_mean - v.T @ h_mean))
        hbias.__iadd__(lr * (h0_mean - h_mean).mean(axis=0))
        vbias.__iadd__(lr * (v0 - v).mean(axis=0))
    return step


def numpy_finetune(x, y, sizes=(1000, 1000, 1000), lr=0.1):
    """The batch-1 finetuning step (sigmoid layers + softmax) with BLAS-2 calls."""
    rng = numpy.random.RandomState(1)
    dims = [x.shape[1], *sizes, 10]
    Ws = [numpy.asfortranarray(rng.uniform(-0.05, 0.05, (a, b)).astype(x.dtype)) for a, b in zip(dims, dims[1:])]
    bs = [numpy.zeros(d, x.dtype) for d in dims[1:]]
    gemv, ger = _blas(Ws[0])

    def step(i):
        hs = [x[i]]
        for W, b in zip(Ws[:-1], bs[:-1]):
            hs.append(_sigmoid(gemv(1.0, W, hs[-1], trans=1) + b))
        back = _softmax_grad((gemv(1.0, Ws[-1], hs[-1], trans=1) + bs[-1])[None, :], y[i:i + 1])[0]
        for k in reversed(range(len(Ws))):
            below = gemv(1.0, Ws[k], back) * hs[k] * (1 - hs[k]) if k else None
            ger(-lr, hs[k], back, a=Ws[k], overwrite_a=1)
            bs[k].__isub__(lr * back)
            back = below
    return step


def numpy_lenet(x, y, batch_size=500, nkerns=(20, 50), lr=0.1, k=5):
    """LeNet5's SGD step in numpy, batch-first (examples, rows, cols, channels).

    Each convolution is im2col (a sliding-window view copied into a patch
    matrix) and one matrix product; its input gradient adds the patch
    gradients back tap by tap.  Max-pooling by reshape, as in :mod:`dltutorial.nnet`.
    """
    rng = numpy.random.RandomState(23455)
    side = int(round(numpy.sqrt(x.shape[1])))

    def uniform(shape, fan_in, fan_out):
        bound = numpy.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, shape).astype(x.dtype)

    Ws = [uniform((nkerns[0], 1, k, k), k * k, nkerns[0] * k * k // 4),
          uniform((nkerns[1], nkerns[0], k, k), nkerns[0] * k * k, nkerns[1] * k * k // 4)]
    n_flat = nkerns[1] * ((side - k + 1) // 2 - k + 1) ** 2 // 4
    W2, W3 = uniform((n_flat, 500), n_flat, 500), numpy.zeros((500, 10), x.dtype)
    bs = [numpy.zeros(n, x.dtype) for n in (*nkerns, 500, 10)]

    def conv_pool(a, W, b):
        n, rows, cols, ch = a.shape
        patches = sliding_window_view(a, (k, k), axis=(1, 2)).reshape(-1, ch * k * k)
        out = patches @ W[:, :, ::-1, ::-1].reshape(len(W), -1).T
        out = out.reshape(n, (rows - k + 1) // 2, 2, (cols - k + 1) // 2, 2, len(W))
        pooled = out.max(axis=(2, 4))
        mask = out == pooled[:, :, None, :, None, :]
        return patches, mask, numpy.tanh(pooled + b)

    def conv_pool_grads(g, h, patches, mask, a_shape, W):
        g = g * (1 - h * h)
        g_out = (mask * g[:, :, None, :, None, :]).reshape(len(patches), len(W))
        dW = (g_out.T @ patches).reshape(W.shape)[:, :, ::-1, ::-1]
        if a_shape is None:
            return dW, g.sum((0, 1, 2)), None
        n, rows, cols, ch = a_shape
        oh, ow = rows - k + 1, cols - k + 1
        g_patches = (g_out @ W[:, :, ::-1, ::-1].reshape(len(W), -1)).reshape(n, oh, ow, ch, k, k)
        g_a = numpy.zeros(a_shape, W.dtype)
        for i in range(k):
            for j in range(k):
                g_a[:, i:i + oh, j:j + ow, :] += g_patches[..., i, j]
        return dW, g.sum((0, 1, 2)), g_a

    def step(i):
        xb = x[i * batch_size:(i + 1) * batch_size].reshape(batch_size, side, side, 1)
        yb = y[i * batch_size:(i + 1) * batch_size]
        p0, m0, h0 = conv_pool(xb, Ws[0], bs[0])
        p1, m1, h1 = conv_pool(h0, Ws[1], bs[1])
        flat = h1.transpose(0, 3, 1, 2).reshape(batch_size, -1)  # the tutorial's (channel, row, col) order
        h2 = numpy.tanh(flat @ W2 + bs[2])
        d3 = _softmax_grad(h2 @ W3 + bs[3], yb)
        d2 = (d3 @ W3.T) * (1 - h2 * h2)
        d_h1 = (d2 @ W2.T).reshape(h1.transpose(0, 3, 1, 2).shape).transpose(0, 2, 3, 1)
        dW1, db1, d_h0 = conv_pool_grads(d_h1, h1, p1, m1, h0.shape, Ws[1])
        dW0, db0, _ = conv_pool_grads(d_h0, h0, p0, m0, None, Ws[0])
        for param, grad in zip(step.params, (h2.T @ d3, d3.sum(0), flat.T @ d2, d2.sum(0), dW1, db1, dW0, db0)):
            param -= lr * grad

    step.params = [W3, bs[3], W2, bs[2], Ws[1], bs[1], Ws[0], bs[0]]  # LeNet5.params' order, updated in place
    return step


def torch_steps(train_x, train_y, codes, device="cpu"):
    """The same steps in idiomatic PyTorch (autograd, torch.optim.SGD) on ``device``: {name: step(i)}.

    Each step returns its loss (a tensor on ``device``).
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    if os.environ.get("OPENBLAS_NUM_THREADS", "").isdigit():  # the same thread count as numpy's BLAS
        torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))
    x, y, c = (torch.from_numpy(a).to(device) for a in (train_x, train_y, codes))
    torch.set_default_dtype(x.dtype)  # models and parameters in the data's float type
    torch.set_default_device(device)

    def sgd_step(params, lr, loss_fn):
        optimizer = torch.optim.SGD(params, lr=lr)

        def step(i):
            optimizer.zero_grad()
            loss = loss_fn(i)
            loss.backward()
            optimizer.step()
            return loss.detach()
        return step

    def dA_step(data, corruption):
        W = nn.Parameter(torch.empty(data.shape[1], 1000).uniform_(-0.1, 0.1))
        b, bp = nn.Parameter(torch.zeros(1000)), nn.Parameter(torch.zeros(data.shape[1]))

        def loss(i):
            xb = data[i:i + 1]
            h = torch.sigmoid((xb * (torch.rand_like(xb) > corruption)) @ W + b)
            return F.binary_cross_entropy_with_logits(h @ W.T + bp, xb, reduction="sum")
        return sgd_step([W, b, bp], 0.001, loss)

    n_in = x.shape[1]
    side = int(round(n_in ** 0.5))
    lenet = nn.Sequential(nn.Unflatten(1, (1, side, side)), nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Tanh(),
                          nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.Tanh(), nn.Flatten(),
                          nn.Linear(50 * 4 * 4, 500), nn.Tanh(), nn.Linear(500, 10))
    logistic = nn.Linear(n_in, 10)
    mlp = nn.Sequential(nn.Linear(n_in, 500), nn.Tanh(), nn.Linear(500, 10))
    sda = nn.Sequential(nn.Linear(n_in, 1000), nn.Sigmoid(), nn.Linear(1000, 1000), nn.Sigmoid(),
                        nn.Linear(1000, 1000), nn.Sigmoid(), nn.Linear(1000, 10))
    steps = {
        "logistic_sgd": sgd_step(logistic.parameters(), 0.13,
                                 lambda i: F.cross_entropy(logistic(x[i * 600:(i + 1) * 600]), y[i * 600:(i + 1) * 600])),
        "mlp": sgd_step(mlp.parameters(), 0.01,
                        lambda i: F.cross_entropy(mlp(x[i * 20:(i + 1) * 20]), y[i * 20:(i + 1) * 20])
                        + 1e-4 * (mlp[0].weight.square().sum() + mlp[2].weight.square().sum())),
        "SdA pretrain L0": dA_step(x, 0.1),
        "SdA pretrain L1": dA_step(c, 0.2),
        "SdA finetune": sgd_step(sda.parameters(), 0.1, lambda i: F.cross_entropy(sda(x[i:i + 1]), y[i:i + 1])),
        "lenet5": sgd_step(lenet.parameters(), 0.1,
                           lambda i: F.cross_entropy(lenet(x[i * 500:(i + 1) * 500]), y[i * 500:(i + 1) * 500])),
    }
    torch.set_default_device("cpu")
    return steps


def _wait(result):
    """Block until an asynchronously computed step result (JAX, CUDA) is ready."""
    if hasattr(result, "cpu"):  # a torch tensor, maybe on a GPU
        result = result.cpu()
    numpy.asarray(result)


def time_steps(step, n_steps, repeats):
    """Seconds for ``n_steps`` calls of ``step(i)``, ``repeats`` times.

    JAX and CUDA dispatch asynchronously: the last result is brought to the
    host before the clock stops, which waits for every queued step (each one
    needs the parameters the one before updated).
    """
    _wait(step(0))  # warm up (first call may allocate or compile)
    times = []
    for _ in range(repeats):
        start = timeit.default_timer()
        for i in range(n_steps):
            result = step(i)
        _wait(result)
        times.append(timeit.default_timer() - start)
    return times


def pytensor_steps(datasets):
    """Builders of each benchmarked training step, compiled with the current mode: {name: build()}.

    ``build()`` compiles the step and returns ``step(i)``; the benchmark times the two apart.
    """
    index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
    train = datasets[0]
    n_in = train[0].get_value(borrow=True).shape[1]

    def logistic():
        model = LogisticRegression(x, n_in, 10)
        return sgd_training_function(index, 600, x, y, model.negative_log_likelihood(y), model.params, 0.13, train)

    def mlp():
        model = MLP(numpy.random.RandomState(1234), x, n_in, 500, 10)
        cost = model.negative_log_likelihood(y) + 1e-4 * model.L2_sqr
        return sgd_training_function(index, 20, x, y, cost, model.params, 0.01, train)

    def sda():
        return SdA(numpy.random.RandomState(89677), n_ins=n_in, hidden_layers_sizes=[1000, 1000, 1000], n_outs=10)

    def pretrain(layer, corruption):
        fn = sda().pretraining_functions(train[0], batch_size=1)[layer]
        return lambda i: fn(i, corruption=corruption, lr=0.001)

    def rbm():
        chain = pytensor.shared(numpy.zeros((20, 500), dtype=pytensor.config.floatX))
        model = RBM(input=x, n_visible=n_in, n_hidden=500, numpy_rng=numpy.random.RandomState(123))
        cost, updates = model.get_cost_updates(lr=0.1, persistent=chain, k=15)
        return compile_function([index], cost, updates=updates, givens=minibatch_givens(index, 20, (x, train[0])))

    def dbn():
        model = DBN(numpy.random.RandomState(123), n_ins=n_in, hidden_layers_sizes=[1000, 1000, 1000])
        fn = model.pretraining_functions(train[0], batch_size=10, k=1)[0]
        return lambda i: fn(i, lr=0.01)

    def lenet():
        model = LeNet5(numpy.random.RandomState(23455), x, 500, image_side=int(round(numpy.sqrt(n_in))))
        return sgd_training_function(index, 500, x, y, model.negative_log_likelihood(y), model.params, 0.1, train)

    return {
        "logistic_sgd": logistic,
        "mlp": mlp,
        "SdA pretrain L0": lambda: pretrain(0, 0.1),
        "SdA pretrain L1": lambda: pretrain(1, 0.2),
        "SdA finetune": lambda: sda().build_finetune_functions(datasets, batch_size=1, learning_rate=0.1)[0],
        "lenet5": lenet,
        "rbm PCD-15": rbm,
        "DBN pretrain L0": dbn,
    }


# the BLAS routines PyTensor's C code calls, by their Fortran names
BLAS_ROUTINES = [p + name for p in "sdcz" for name in ("gemm", "gemv", "axpy", "copy", "scal", "swap", "symm", "syrk",
                                                      "trsm")] + ["sger", "dger", "sdot", "ddot", "srot", "drot",
                                                                  "cgerc", "cgeru", "zgerc", "zgeru"]


def scipy_openblas32_ldflags():
    """Linker flags for PyPI's scipy-openblas32, whose routines are named ``scipy_sgemm_`` ...

    PyTensor passes the non-``-l``/``-L`` tokens of ``blas__ldflags`` to the
    compiler, so ``-Dsgemm_=scipy_sgemm_`` renames each call at compile time.
    """
    import scipy_openblas32

    folder = scipy_openblas32.get_lib_dir()
    renames = " ".join(f"-D{name}_=scipy_{name}_" for name in BLAS_ROUTINES)
    return f"-L{folder} -Wl,-rpath,{folder} -l{scipy_openblas32.get_library()} {renames}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dltutorial.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="mnist.pkl.gz", help="MNIST file or IDX folder")
    parser.add_argument("--modes", nargs="+", default=available_modes(), help="default: %(default)s")
    parser.add_argument("--floatX", nargs="+", default=["float32"], choices=("float32", "float64"))
    parser.add_argument("--steps", type=int, default=5000, help="calls timed for batch-size-1 phases")
    parser.add_argument("--lenet-batches", type=int, default=20, help="LeNet5 steps timed (batch 500)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-references", action="store_true", help="time the modes only, not numpy/torch")
    parser.add_argument("--only", nargs="+", metavar="STEP", help=f"steps to time (default: all of {', '.join(STEPS)})")
    parser.add_argument("--c-blas", choices=("system", "scipy-openblas32"), default="system",
                        help="the BLAS the C mode links: the system's OpenBLAS (default) or PyPI's "
                             "scipy-openblas32 (pip install scipy-openblas32), to compare the two")
    args = parser.parse_args(argv)
    if args.c_blas == "scipy-openblas32":
        pytensor.config.blas__ldflags = scipy_openblas32_ldflags()
    only = args.only or STEPS
    unknown = set(only) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}; choose from {', '.join(STEPS)}")

    rows = []
    for floatX in args.floatX:
        rows += bench_float_type(args, floatX, only)

    folder = make_run_folder("bench")
    machine = _machine(args.modes)  # after the runs: the C modules have loaded their BLAS by now
    save_json({"machine": machine, "args": vars(args), "rows": rows}, folder / "bench.json")
    with atomic_write(folder / "bench.md", "w") as f:
        f.write(f"Seconds per epoch, median of {args.repeats} (min-max); {describe_machine(machine)}\n\n")
        f.write("| step | mode | floatX | s/epoch | min-max | / numpy | compile s |\n|---|---|---|---|---|---|---|\n")
        floor = {(r["step"], r["floatX"]): r["seconds_per_epoch"] for r in rows if r["mode"] == "numpy"}
        for r in rows:
            comp = "" if r["compile_seconds"] is None else f"{r['compile_seconds']:.1f}"
            ratio = floor.get((r["step"], r["floatX"]))
            ratio = "" if ratio is None else f"{r['seconds_per_epoch'] / ratio:.2f}"
            f.write(f"| {r['step']} | {r['mode']} | {r['floatX']} | {r['seconds_per_epoch']:.2f} | "
                    f"{r['min']:.2f}-{r['max']:.2f} | {ratio} | {comp} |\n")
    print(f"written to {folder}/bench.md")


def _torch_devices():
    """The devices to time PyTorch on: none without PyTorch, the CPU, and the GPU when there is one."""
    if importlib.util.find_spec("torch") is None:
        return []
    import torch
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def _machine(modes):
    """What produced the figures: CPU, core count, BLAS libraries, threads, PyTensor and JAX versions."""
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "pytensor": pytensor.__version__,
               "c_blas_ldflags": pytensor.config.blas__ldflags,
               "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"), "blas": blas_libraries()}
    if "jax" in modes:
        import jax
        machine["jax"] = f"{jax.__version__} on {jax.devices()[0].device_kind}"
    return machine


def describe_machine(machine):
    """One line of ``machine`` for bench.md's header."""
    blas = "; ".join(f"{b['library']} {b['version']} ({b['kernel']}, {b['threads']} threads)" for b in machine["blas"])
    line = (f"{machine['cpu']}, {machine['cores']} cores, OPENBLAS_NUM_THREADS={machine['OPENBLAS_NUM_THREADS']}, "
            f"pytensor {machine['pytensor']}; BLAS: {blas}")
    return line + (f"; jax {machine['jax']}" if "jax" in machine else "")


def bench_float_type(args, floatX, only):
    """Time the ``only`` steps in every mode, numpy and torch, in ``floatX``; return the table rows."""
    with settings(floatX=floatX):
        arrays = load_mnist(args.data)
        datasets = load_data(args.data)
    train_x, train_y = (numpy.asarray(a, dtype=d) for a, d in zip(arrays[0], (floatX, "int64")))
    n_train = len(train_x)
    # name -> (calls timed, calls in one epoch)
    calls = {"logistic_sgd": (n_train // 600,) * 2, "mlp": (n_train // 20,) * 2}
    for name in ("SdA pretrain L0", "SdA pretrain L1", "SdA finetune"):
        calls[name] = (min(args.steps, n_train), n_train)
    calls["lenet5"] = (min(args.lenet_batches, n_train // 500), n_train // 500)
    calls["rbm PCD-15"] = (min(args.steps // 20, n_train // 20), n_train // 20)
    calls["DBN pretrain L0"] = (min(args.steps // 10, n_train // 10), n_train // 10)
    rows = []

    def record(name, backend, times, compile_seconds=None):
        timed, per_epoch = calls[name]
        epoch = [t * per_epoch / timed for t in times]
        rows.append({"step": name, "mode": backend, "floatX": floatX,
                     "seconds_per_epoch": statistics.median(epoch), "min": min(epoch), "max": max(epoch),
                     "compile_seconds": compile_seconds, "calls_timed": timed})
        print(f"{name:16s} {backend:6s} {floatX} {statistics.median(epoch):8.2f} s/epoch "
              f"(min {min(epoch):.2f}, max {max(epoch):.2f})", flush=True)

    # references first: once JAX has started its thread pool, numpy's BLAS threads slow down
    # the numpy dA of layer 1 reads codes of layer 0, as the cached pretraining does
    codes = _sigmoid(train_x[:args.steps + 1] @ numpy.random.RandomState(0).uniform(
        -0.1, 0.1, (train_x.shape[1], 1000)).astype(floatX))
    reference = {} if args.no_references else {
        "logistic_sgd": lambda: numpy_logistic(train_x, train_y, 600),
        "mlp": lambda: numpy_mlp(train_x, train_y, 20),
        "SdA pretrain L0": lambda: numpy_dA(train_x, corruption=0.1),
        "SdA pretrain L1": lambda: numpy_dA(codes, corruption=0.2),
        "SdA finetune": lambda: numpy_finetune(train_x, train_y),
        "lenet5": lambda: numpy_lenet(train_x, train_y),
        "rbm PCD-15": lambda: numpy_rbm(train_x, 20, 500, k=15, persistent=True),
        "DBN pretrain L0": lambda: numpy_rbm(train_x, 10, 1000, k=1, persistent=False),
    }
    for name, build in reference.items():
        if name in only:
            record(name, "numpy", time_steps(build(), calls[name][0], args.repeats))
    for device in [] if args.no_references else _torch_devices():
        for name, step in torch_steps(train_x, train_y, codes, device).items():
            if name in only:
                record(name, "torch" if device == "cpu" else "torch-cuda", time_steps(step, calls[name][0], args.repeats))
    for mode in args.modes:
        with settings(mode=mode, floatX=floatX):
            for name, build in pytensor_steps(datasets).items():
                if name in only:
                    start = timeit.default_timer()
                    step = build()
                    compile_seconds = timeit.default_timer() - start
                    record(name, mode, time_steps(step, calls[name][0], args.repeats), compile_seconds)
    return rows


if __name__ == "__main__":
    main()
