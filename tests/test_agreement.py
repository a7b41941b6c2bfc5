"""Every tutorial's first training steps agree across compile modes and float types (issue 5).

Each builder compiles a tutorial's training function(s) on tiny 16x16 data
and returns the costs of its first steps; every installed mode must give the
costs of the ``c`` mode.  Corruption noise is drawn by each backend's own
random generator: numba reproduces numpy's draws, JAX does not (its PRNG is a
different algorithm), so JAX is compared on the dA and SdA with corruption 0.
The conjugate-gradient costs are evaluations at the points fmin_cg chooses;
its line searches amplify rounding differences, so they agree to 1e-6.
"""

import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from dltutorial.compile import available_modes, compile_function, settings
from dltutorial.convolutional_mlp import LeNet5
from dltutorial.dA import dA, random_stream
from dltutorial.data import load_data
from dltutorial.logistic_cg import cg_optimization_mnist
from dltutorial.logistic_sgd import LogisticRegression
from dltutorial.mlp import MLP
from dltutorial.SdA import SdA
from dltutorial.training import minibatch_givens, sgd_training_function

from .conftest import write_idx_folder

STEPS = 20
BATCH = 10
SIDE = 16


@pytest.fixture(scope="module")
def tiny16(tmp_path_factory):
    return str(write_idx_folder(tmp_path_factory.mktemp("agreement"), side=SIDE))


def supervised(model_cost, dataset, lr=0.1):
    datasets = load_data(dataset)
    index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
    cost, params = model_cost(x, y)
    train = sgd_training_function(index, BATCH, x, y, cost, params, lr, datasets[0])
    return [train(i) for i in range(STEPS)]


def logistic_costs(dataset, corruption):
    def model(x, y):
        m = LogisticRegression(x, SIDE * SIDE, 10)
        return m.negative_log_likelihood(y), m.params
    return supervised(model, dataset, lr=0.13)


def mlp_costs(dataset, corruption):
    def model(x, y):
        m = MLP(numpy.random.RandomState(1234), x, SIDE * SIDE, 30, 10)
        return m.negative_log_likelihood(y) + 1e-4 * m.L2_sqr, m.params
    return supervised(model, dataset, lr=0.01)


def lenet_costs(dataset, corruption):
    def model(x, y):
        m = LeNet5(numpy.random.RandomState(23455), x, BATCH, image_side=SIDE, nkerns=(3, 4), n_hidden=20)
        return m.negative_log_likelihood(y), m.params
    return supervised(model, dataset)


def dA_costs(dataset, corruption):
    train_x = load_data(dataset)[0][0]
    index, x = pt.lscalar("index"), pt.matrix("x")
    rng = numpy.random.RandomState(123)
    da = dA(numpy_rng=rng, theano_rng=random_stream(rng.randint(2 ** 30)), input=x, n_visible=SIDE * SIDE,
            n_hidden=20)
    cost, updates = da.get_cost_updates(corruption_level=corruption, learning_rate=0.1)
    train = compile_function([index], cost, updates=updates, givens=minibatch_givens(index, BATCH, (x, train_x)))
    return [train(i) for i in range(STEPS)]


def SdA_costs(dataset, corruption):
    datasets = load_data(dataset)
    sda = SdA(numpy.random.RandomState(89677), n_ins=SIDE * SIDE, hidden_layers_sizes=[20, 20], n_outs=10)
    costs = []
    for fn in sda.pretraining_functions(datasets[0][0], batch_size=BATCH):
        costs += [fn(i, corruption=corruption, lr=0.1) for i in range(STEPS // 2)]
    train, _, _ = sda.build_finetune_functions(datasets, batch_size=BATCH, learning_rate=0.1)
    return costs + [train(i) for i in range(STEPS // 2)]


def cg_costs(dataset, corruption):
    # an entry point compiles in its own floatX (default float32): pass the test's
    return cg_optimization_mnist(n_epochs=3, mnist_pkl_gz=dataset, batch_size=BATCH,
                                 floatX=pytensor.config.floatX)["costs"]


TUTORIALS = {"logistic_sgd": logistic_costs, "logistic_cg": cg_costs, "mlp": mlp_costs,
             "lenet5": lenet_costs, "dA": dA_costs, "SdA": SdA_costs}
NOISY = {"dA", "SdA"}


def costs(tutorial, mode, floatX, dataset, corruption):
    with settings(mode=mode, floatX=floatX):
        return numpy.asarray(TUTORIALS[tutorial](dataset, corruption), dtype="float64")


@pytest.mark.parametrize("floatX", ["float64", "float32"])
@pytest.mark.parametrize("mode", [m for m in available_modes() if m != "c"])
@pytest.mark.parametrize("tutorial", list(TUTORIALS))
def test_first_steps_agree_with_c(tutorial, mode, floatX, tiny16):
    corruption = 0.3 if tutorial in NOISY and mode != "jax" else 0.0
    ours = costs(tutorial, mode, floatX, tiny16, corruption)
    reference = costs(tutorial, "c", floatX, tiny16, corruption)
    assert len(ours) >= 3 and numpy.isfinite(ours).all()
    assert not numpy.allclose(ours, ours[0])  # the costs move: training happened
    numpy.testing.assert_allclose(ours, reference, rtol=tolerance(tutorial, floatX))


def tolerance(tutorial, floatX):
    """1e-8 in float64 (1e-4 in float32); conjugate gradients' line searches amplify rounding, 1e-6."""
    if floatX == "float32":
        return 1e-4
    return 1e-6 if tutorial == "logistic_cg" else 1e-8


def entry_points(dataset, folder):
    """Each tutorial's entry function, for one short epoch on tiny data."""
    from dltutorial.convolutional_mlp import evaluate_lenet5
    from dltutorial.dA import test_dA
    from dltutorial.logistic_sgd import sgd_optimization_mnist
    from dltutorial.mlp import test_mlp
    from dltutorial.SdA import test_SdA

    return {
        "logistic_sgd": lambda **k: sgd_optimization_mnist(n_epochs=1, dataset=dataset, batch_size=20, **k),
        "logistic_cg": lambda **k: cg_optimization_mnist(n_epochs=1, mnist_pkl_gz=dataset, batch_size=50, **k),
        "mlp": lambda **k: test_mlp(n_epochs=1, dataset=dataset, batch_size=20, n_hidden=20, **k),
        "lenet5": lambda **k: evaluate_lenet5(n_epochs=1, dataset=dataset, nkerns=[3, 4], batch_size=50,
                                              output_folder=str(folder / "lenet5"), **k),
        "dA": lambda **k: test_dA(training_epochs=1, dataset=dataset, output_folder=str(folder / "dA"), **k),
        "SdA": lambda **k: test_SdA(pretraining_epochs=1, training_epochs=1, dataset=dataset, batch_size=50,
                                    output_folder=str(folder / "SdA"), **k),
    }


@pytest.mark.parametrize("mode", [m for m in available_modes() if m != "c"])
@pytest.mark.parametrize("tutorial", list(TUTORIALS))
def test_entry_points_run_unchanged_in_every_mode(tutorial, mode, tiny16, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # logistic_sgd saves best_model.pkl in the working folder
    result = entry_points(tiny16, tmp_path)[tutorial](mode=mode, floatX="float64")
    if tutorial == "dA":  # reconstruction costs of the 0 % and 30 % corruption runs
        figures = [r["epoch_costs"][-1] for r in result.values()]
        assert len(figures) == 2 and all(numpy.isfinite(f) and f > 0 for f in figures)
    else:
        test_error = result.test_score if hasattr(result, "test_score") else result["test_error"]
        assert 0 <= test_error < 0.9  # a real evaluation on the test set, better than chance
