"""Seconds per epoch of the tutorials' training steps, per compile mode, next to plain numpy.

``make bench`` (``python -m bench.run``) times, on real MNIST:

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
The table's header names the device JAX ran on.  For each batch-1 step a
second table sets the step against the least memory traffic it needs: the
bytes of its weights, which a step must read and write back at least once,
and the time to copy an array of that size, measured in the same run (numpy,
one thread); the ratio says how far the step is from that bound.  (Skipping
the rows of zero inputs, a step may touch fewer weights than it holds.)
"To first step" is the
time to compile a step and finish its first call, where Numba compiles its
code and JAX traces the graph: the wait before a first epoch starts; run
with an empty compile directory (``PYTENSOR_FLAGS=base_compiledir=<new folder>``)
to see it cold.
Results go to ``runs/bench-<timestamp>/bench.json`` and ``bench.md``.
"""

import argparse
import importlib.util
import os
import statistics
import timeit
from pathlib import Path

import numpy
import pytensor
import pytensor.tensor as pt

from dltutorial.convolutional_mlp import LeNet5
from dltutorial.core.compile import compile_function
from dltutorial.engine.configure import configure_pytensor
from dltutorial.core.data import load_data, load_mnist
from dltutorial.core.files import atomic_write, save_json
from dltutorial.core.minibatches import minibatch_givens
from dltutorial.core.modes import available_modes
from dltutorial.core.runs import new_run_folder
from dltutorial.core.steps import sgd_training_function
from dltutorial.DBN import DBN
from dltutorial.logistic_sgd import LogisticRegression
from dltutorial.mlp import MLP
from dltutorial.rbm import RBM
from dltutorial.SdA import SdA

from .machine import blas_libraries, copy_seconds, cpu_model, openmp_threads
from .references import (_sigmoid, numpy_dA, numpy_finetune, numpy_lenet, numpy_logistic, numpy_mlp, numpy_rbm,
                         torch_steps)


BATCH_1_STEPS = ("SdA pretrain L0", "SdA pretrain L1", "SdA finetune")
STEPS = ("logistic_sgd", "mlp", *BATCH_1_STEPS, "lenet5", "rbm PCD-15", "DBN pretrain L0")


def _wait(result):
    """Block until an asynchronously computed step result (JAX, CUDA) is ready."""
    if hasattr(result, "cpu"):  # a torch tensor, maybe on a GPU
        result = result.cpu()
    numpy.asarray(result)


def time_steps(step, n_steps, epoch_calls, repeats):
    """Seconds for ``n_steps`` calls of ``step(i)`` (``i`` counted modulo ``epoch_calls``), ``repeats`` times.

    JAX and CUDA dispatch asynchronously: the last result is brought to the
    host before the clock stops, which waits for every queued step (each one
    needs the parameters the one before updated).
    """
    _wait(step(0))  # warm up (first call may allocate or compile)
    times = []
    for _ in range(repeats):
        start = timeit.default_timer()
        for i in range(n_steps):
            result = step(i % epoch_calls)
        _wait(result)
        times.append(timeit.default_timer() - start)
    return times


def sda(n_in):
    """The SdA the batch-1 steps train: 784-1000-1000-1000-10 on MNIST."""
    return SdA(numpy.random.RandomState(89677), n_ins=n_in, hidden_layers_sizes=[1000, 1000, 1000], n_outs=10)


def weight_bytes(n_in):
    """Bytes of the weights each batch-1 step updates (in the current floatX): {step: bytes}."""
    model = sda(n_in)

    def size(params):
        return sum(p.get_value(borrow=True).nbytes for p in params)

    return {"SdA pretrain L0": size(model.dA_layers[0].params), "SdA pretrain L1": size(model.dA_layers[1].params),
            "SdA finetune": size(model.params)}


def pytensor_steps(datasets, mode):
    """Builders of each benchmarked training step, compiled with ``mode``: {name: build()}.

    ``build()`` compiles the step and returns ``step(i)``; the benchmark times the two apart.
    """
    index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
    train = datasets[0]
    n_in = train[0].get_value(borrow=True).shape[1]

    def logistic():
        model = LogisticRegression(x, n_in, 10)
        return sgd_training_function(index, 600, x, y, model.negative_log_likelihood(y), model.params, 0.13, train,
                                     mode=mode)

    def mlp():
        model = MLP(numpy.random.RandomState(1234), x, n_in, 500, 10)
        cost = model.negative_log_likelihood(y) + 1e-4 * model.L2_sqr
        return sgd_training_function(index, 20, x, y, cost, model.params, 0.01, train, mode=mode)

    def pretrain(layer, corruption):
        fn = sda(n_in).pretraining_functions(train[0], batch_size=1, mode=mode)[layer]
        return lambda i: fn(i, corruption=corruption, lr=0.001)

    def rbm():
        chain = pytensor.shared(numpy.zeros((20, 500), dtype=pytensor.config.floatX))
        model = RBM(input=x, n_visible=n_in, n_hidden=500, numpy_rng=numpy.random.RandomState(123))
        cost, updates = model.get_cost_updates(lr=0.1, persistent=chain, k=15, mode=mode)
        return compile_function([index], cost, updates=updates, givens=minibatch_givens(index, 20, (x, train[0])),
                                mode=mode)

    def dbn():
        model = DBN(numpy.random.RandomState(123), n_ins=n_in, hidden_layers_sizes=[1000, 1000, 1000])
        fn = model.pretraining_functions(train[0], batch_size=10, k=1, mode=mode)[0]
        return lambda i: fn(i, lr=0.01)

    def lenet():
        model = LeNet5(numpy.random.RandomState(23455), x, 500, image_side=int(round(numpy.sqrt(n_in))))
        return sgd_training_function(index, 500, x, y, model.negative_log_likelihood(y), model.params, 0.1, train,
                                     mode=mode)

    return {
        "logistic_sgd": logistic,
        "mlp": mlp,
        "SdA pretrain L0": lambda: pretrain(0, 0.1),
        "SdA pretrain L1": lambda: pretrain(1, 0.2),
        "SdA finetune": lambda: sda(n_in).build_finetune_functions(datasets, batch_size=1, learning_rate=0.1,
                                                               mode=mode)[0],
        "lenet5": lenet,
        "rbm PCD-15": rbm,
        "DBN pretrain L0": dbn,
    }


def system_openblas_ldflags():
    """Linker flags for the system's OpenBLAS (Debian's ``libopenblas-dev`` ...), to compare it with ours."""
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
                   "/usr/local/lib", "/opt/homebrew/opt/openblas/lib"):
        for name in ("libopenblas.so", "libopenblas.dylib"):
            if (Path(folder) / name).exists():
                return f"-L{folder} -Wl,-rpath,{folder} -lopenblas"
    raise SystemExit("no system OpenBLAS found (Debian/Ubuntu: apt-get install libopenblas-dev)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="mnist.pkl.gz", help="MNIST file or IDX folder")
    parser.add_argument("--modes", nargs="+", default=available_modes(), help="default: %(default)s")
    parser.add_argument("--floatX", nargs="+", default=["float32"], choices=("float32", "float64"))
    parser.add_argument("--steps", type=int, default=5000, help="calls timed for batch-size-1 phases")
    parser.add_argument("--lenet-batches", type=int, default=20, help="LeNet5 steps timed (batch 500)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-references", action="store_true", help="time the modes only, not numpy/torch")
    parser.add_argument("--only", nargs="+", metavar="STEP", help=f"steps to time (default: all of {', '.join(STEPS)})")
    parser.add_argument("--c-blas", choices=("scipy-openblas32", "system"), default="scipy-openblas32",
                        help="the BLAS the C mode links: PyPI's scipy-openblas32 (dltutorial's default) or the "
                             "system's OpenBLAS (libopenblas-dev), to compare the two")
    args = parser.parse_args(argv)
    if args.c_blas == "system":
        configure_pytensor()  # first, so that the first compile does not set its BLAS over the system's
        pytensor.config.blas__ldflags = system_openblas_ldflags()
    only = args.only or STEPS
    unknown = set(only) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}; choose from {', '.join(STEPS)}")

    rows = []
    for floatX in args.floatX:
        rows += bench_float_type(args, floatX, only)

    folder = new_run_folder("bench")
    machine = _machine(args.modes)  # after the runs: the C modules have loaded their BLAS by now
    save_json({"machine": machine, "args": vars(args), "rows": rows}, folder / "bench.json")
    with atomic_write(folder / "bench.md", "w") as f:
        f.write(f"Seconds per epoch, median of {args.repeats} (min-max); {describe_machine(machine)}\n\n")
        f.write("| step | mode | floatX | s/epoch | min-max | / numpy | to first step, s |\n"
                "|---|---|---|---|---|---|---|\n")
        floor = {(r["step"], r["floatX"]): r["seconds_per_epoch"] for r in rows if r["mode"] == "numpy"}
        for r in rows:
            comp = "" if r["first_step_seconds"] is None else f"{r['first_step_seconds']:.1f}"
            ratio = floor.get((r["step"], r["floatX"]))
            ratio = "" if ratio is None else f"{r['seconds_per_epoch'] / ratio:.2f}"
            f.write(f"| {r['step']} | {r['mode']} | {r['floatX']} | {r['seconds_per_epoch']:.2f} | "
                    f"{r['min']:.2f}-{r['max']:.2f} | {ratio} | {comp} |\n")
        bounded = [r for r in rows if "weight_bytes" in r]
        if bounded:
            f.write("\nBatch-1 steps against the copy of their weights (one read and one write of each, numpy, one "
                    "thread, an array of the weights' size, timed in this run)\n\n"
                    "| step | mode | floatX | weights, MB | copy, ms | step, ms | step / copy |\n"
                    "|---|---|---|---|---|---|---|\n")
            for r in bounded:
                step_seconds = r["seconds_per_epoch"] / r["calls_per_epoch"]
                f.write(f"| {r['step']} | {r['mode']} | {r['floatX']} | {r['weight_bytes'] / 1e6:.1f} | "
                        f"{1e3 * r['copy_seconds']:.3f} | {1e3 * step_seconds:.3f} | "
                        f"{step_seconds / r['copy_seconds']:.2f} |\n")
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
               "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"), "blas": blas_libraries(),
               "openmp_threads": openmp_threads()}
    if "jax" in modes:
        import jax
        machine["jax"] = f"{jax.__version__} on {jax.devices()[0].device_kind}"
    return machine


def describe_machine(machine):
    """One line of ``machine`` for bench.md's header."""
    blas = "; ".join(f"{b['library']} {b['version']} ({b['kernel']}, {b['threads']} threads)" for b in machine["blas"])
    openmp = "not loaded" if machine["openmp_threads"] is None else f"{machine['openmp_threads']} threads"
    line = (f"{machine['cpu']}, {machine['cores']} cores, OPENBLAS_NUM_THREADS={machine['OPENBLAS_NUM_THREADS']}, "
            f"pytensor {machine['pytensor']}; BLAS: {blas}; OpenMP: {openmp}")
    return line + (f"; jax {machine['jax']}" if "jax" in machine else "")


def bench_float_type(args, floatX, only):
    """Time the ``only`` steps in every mode, numpy and torch, in ``floatX``; return the table rows."""
    with pytensor.config.change_flags(floatX=floatX):
        arrays = load_mnist(args.data)
        datasets = load_data(args.data)
    train_x, train_y = (numpy.asarray(a, dtype=d) for a, d in zip(arrays[0], (floatX, "int64")))
    n_train = len(train_x)
    # name -> (calls timed, calls in one epoch)
    # logistic_sgd's epoch takes some 50 ms: timed over ten, so that the clock's and the machine's jitter average out
    calls = {"logistic_sgd": (10 * (n_train // 600), n_train // 600), "mlp": (n_train // 20,) * 2}
    for name in BATCH_1_STEPS:
        calls[name] = (min(args.steps, n_train), n_train)
    calls["lenet5"] = (min(args.lenet_batches, n_train // 500), n_train // 500)
    calls["rbm PCD-15"] = (min(args.steps // 20, n_train // 20), n_train // 20)
    calls["DBN pretrain L0"] = (min(args.steps // 10, n_train // 10), n_train // 10)
    rows = []
    with pytensor.config.change_flags(floatX=floatX):
        weights = {name: size for name, size in weight_bytes(train_x.shape[1]).items() if name in only}
    copy = {name: copy_seconds(size) for name, size in weights.items()}

    def record(name, backend, times, first_step_seconds=None):
        timed, per_epoch = calls[name]
        epoch = [t * per_epoch / timed for t in times]
        rows.append({"step": name, "mode": backend, "floatX": floatX,
                     "seconds_per_epoch": statistics.median(epoch), "min": min(epoch), "max": max(epoch),
                     "first_step_seconds": first_step_seconds, "calls_timed": timed, "calls_per_epoch": per_epoch})
        if name in weights:
            rows[-1].update(weight_bytes=weights[name], copy_seconds=copy[name])
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
            record(name, "numpy", time_steps(build(), *calls[name], args.repeats))
    for device in [] if args.no_references else _torch_devices():
        for name, step in torch_steps(train_x, train_y, codes, device).items():
            if name in only:
                record(name, "torch" if device == "cpu" else "torch-cuda", time_steps(step, *calls[name], args.repeats))
    for mode in args.modes:
        with pytensor.config.change_flags(floatX=floatX):
            for name, build in pytensor_steps(datasets, mode).items():
                if name in only:
                    # compiling and the first call (where Numba compiles its code and JAX traces the graph):
                    # the time a user waits for a first finished step, from an empty compile directory when it is
                    start = timeit.default_timer()
                    step = build()
                    _wait(step(0))
                    first_step_seconds = timeit.default_timer() - start
                    record(name, mode, time_steps(step, *calls[name], args.repeats), first_step_seconds)
    return rows


if __name__ == "__main__":
    main()
