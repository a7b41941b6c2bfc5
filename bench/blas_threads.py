"""The SdA's layer-1 pretraining step (batch 1), timed in chunks of 5,000 steps over an epoch.

The figures behind the one-thread default (docs/benchmarks.md, "Threads"):
run it a few times with each thread count and compare the chunks.

    OPENBLAS_NUM_THREADS=2 .venv/bin/python -m bench.blas_threads --data ../shared/data/mnist
    OPENBLAS_NUM_THREADS=2 .venv/bin/python -m bench.blas_threads --data ../shared/data/mnist --limit-numpy
    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.blas_threads --data ../shared/data/mnist

``--limit-numpy`` gives numpy's and SciPy's own OpenBLAS one thread, leaving
PyTensor's C backend the thread count of the environment.
"""

import argparse
import timeit

import numpy
import threadpoolctl

import pytensor
from dltutorial.core.data import load_data
from .machine import cpu_model
from dltutorial.SdA import SdA

CHUNK = 5000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="mnist.pkl.gz")
    parser.add_argument("--limit-numpy", action="store_true")
    args = parser.parse_args()
    with pytensor.config.change_flags(floatX="float32"):
        datasets = load_data(args.data)
        sda = SdA(numpy.random.RandomState(89677), n_ins=784, hidden_layers_sizes=[1000, 1000, 1000], n_outs=10)
        fns = sda.pretraining_functions(datasets[0][0], batch_size=1, mode="c")
    for i in range(20000):  # layer 0 learns a little first, so that layer 1's input codes are real ones
        fns[0](index=i, corruption=0.1, lr=0.001)
    if args.limit_numpy:
        for info in threadpoolctl.threadpool_info():
            if "site-packages" in info["filepath"]:
                threadpoolctl.ThreadpoolController().select(filepath=info["filepath"]).limit(limits=1)
    print(cpu_model(), [(info["filepath"].split("/")[-1], info["num_threads"]) for info in threadpoolctl.threadpool_info()])
    n_train = datasets[0][0].get_value(borrow=True).shape[0]
    chunks = []
    for start in range(0, n_train - CHUNK + 1, CHUNK):  # the first chunk includes computing the codes
        began = timeit.default_timer()
        for i in range(start, start + CHUNK):
            fns[1](index=i, corruption=0.2, lr=0.001)
        chunks.append((timeit.default_timer() - began) / CHUNK * 1e6)
    print("µs per step, chunk by chunk:", " ".join(f"{c:.0f}" for c in chunks))


if __name__ == "__main__":
    main()
