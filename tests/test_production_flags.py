"""The compile flags users run with: a tutorial's steps compiled as ``make train-*`` compiles them.

tests/conftest.py compiles everything with gcc ``-O1`` and Numba's ``NUMBA_OPT=1`` (quick to build); users get
PyTensor's ``-O3`` and our vector-maths flags (dltutorial.engine.configure).  Here a fresh process, without the
tests' settings and with an empty compile directory of its own, runs the SdA's batch-1 steps and the MLP's
minibatch step, which must give the tests' numbers within the bound of their chains of roundings.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytensor
import pytest

from dltutorial.engine.configure import VECTOR_MATH_FLAGS
from dltutorial.core.data import load_data
from dltutorial.mlp import MLP
from dltutorial.SdA import SdA

from .bounds import assert_within, trajectory_rtol

STEPS = 10
ROOT = Path(__file__).resolve().parent.parent


def tutorial_costs(dataset):
    """Ten batch-1 steps of the SdA's first dA and of its finetuning, and ten MLP steps (float32, the c mode)."""
    import pytensor.tensor as pt

    from dltutorial.core.compile import compile_function
    from dltutorial.core.minibatches import minibatch_givens
    from dltutorial.core.updates import sgd

    with pytensor.config.change_flags(floatX="float32"):
        datasets = load_data(dataset)
        sda = SdA(numpy.random.RandomState(89677), n_ins=64, hidden_layers_sizes=[30, 20], n_outs=10)
        pretrain = sda.pretraining_functions(datasets[0][0], 1, mode="c")[0]
        finetune = sda.build_finetune_functions(datasets, 1, learning_rate=0.1, mode="c")[0]
        index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
        mlp = MLP(numpy.random.RandomState(1234), x, 64, 30, 10)
        cost = mlp.negative_log_likelihood(y) + 1e-4 * mlp.L2_sqr
        train = compile_function([index], cost, updates=sgd(cost, mlp.params, 0.01),
                                 givens=minibatch_givens(index, 20, (x, datasets[0][0]), (y, datasets[0][1])),
                                 mode="c")
        return {"pretrain": [float(pretrain(i, corruption=0.3, lr=0.1)) for i in range(STEPS)],
                "finetune": [float(finetune(i)) for i in range(STEPS)],
                "mlp": [float(train(i)) for i in range(STEPS)]}


@pytest.mark.processes
def test_the_production_flags_compile_and_give_the_tests_numbers(tiny_idx, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTENSOR_FLAGS", "NUMBA_OPT")}
    env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp_path / 'compiledir'}"  # empty: everything compiled anew
    program = ("import json, sys; sys.path.insert(0, sys.argv[1])\n"
               "import pytensor\n"
               "from tests.test_production_flags import tutorial_costs\n"
               "costs = tutorial_costs(sys.argv[2])\n"
               "print(json.dumps({'costs': costs, 'cxxflags': pytensor.config.gcc__cxxflags}))\n")
    done = subprocess.run([sys.executable, "-c", program, str(ROOT), str(tiny_idx)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    production = json.loads(done.stdout.splitlines()[-1])
    assert production["cxxflags"] == VECTOR_MATH_FLAGS and "-O1" not in production["cxxflags"]
    assert any((tmp_path / "compiledir").rglob("*.so"))  # it compiled its own modules
    ours = tutorial_costs(tiny_idx)
    widths = {"pretrain": (1, 64, 30), "finetune": (1, 64, 30, 20, 10), "mlp": (20, 64, 30, 10)}
    for step, costs in ours.items():
        assert_within(production["costs"][step], costs, trajectory_rtol(STEPS, widths[step], "float32")
                      * numpy.abs(costs), step)
