"""LeNet5: initialisation, a small network learning a tiny image task, and the entry point."""

import json
import pickle

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from PIL import Image

from dltutorial.core.compile import compile_function
from dltutorial.convolutional_mlp import LeNet5, LeNetConvPoolLayer, evaluate_lenet5
from dltutorial.core.data import load_data
from dltutorial.core.minibatches import minibatch_givens
from dltutorial.core.steps import sgd_training_function

from dltutorial.core.tiny_data import write_idx_folder

from .bounds import assert_within, trajectory_rtol


def test_conv_pool_layer_initialisation():
    layer = LeNetConvPoolLayer(numpy.random.RandomState(23455), pt.tensor4("x"),
                               filter_shape=(50, 20, 5, 5), image_shape=(500, 20, 12, 12))
    W = layer.W.get_value()
    bound = numpy.sqrt(6.0 / (20 * 25 + 50 * 25 // 4))  # fan_out counts the 2x2 pooling (integer division)
    assert W.shape == (50, 20, 5, 5) and W.dtype == pytensor.config.floatX
    assert bound * 0.99 < abs(W).max() <= bound * (1 + 1e-6)
    assert layer.b.get_value().shape == (50,) and not layer.b.get_value().any()
    with pytest.raises(ValueError, match="feature maps"):
        LeNetConvPoolLayer(numpy.random.RandomState(0), pt.tensor4("x"), (50, 20, 5, 5), (500, 10, 12, 12))


def test_small_lenet_learns_tiny_images(tmp_path):
    """A 4-6 kernel LeNet on 16x16 block images: the training cost falls and the error gets small."""
    datasets = load_data(str(write_idx_folder(tmp_path / "idx", side=16)))
    valid_x, valid_y = datasets[1]
    batch_size = 50
    index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
    model = LeNet5(numpy.random.RandomState(23455), x, batch_size, image_side=16, nkerns=(4, 6), n_hidden=20)
    cost = model.negative_log_likelihood(y)
    train = sgd_training_function(index, batch_size, x, y, cost, model.params, 0.5, datasets[0])
    error = compile_function([index], model.errors(y),
                             givens=minibatch_givens(index, batch_size, (x, valid_x), (y, valid_y)))
    costs = [numpy.mean([train(i) for i in range(10)]) for _ in range(12)]
    assert costs[-1] < 0.1 * costs[0]
    assert numpy.mean([error(i) for i in range(2)]) < 0.1


def test_evaluate_lenet5_runs_and_writes_results(tmp_path, capsys):
    data = write_idx_folder(tmp_path / "idx", side=16)
    record = evaluate_lenet5(learning_rate=0.1, n_epochs=2, dataset=str(data), nkerns=[3, 4], batch_size=10,
                             output_folder=str(tmp_path / "run"))
    out = capsys.readouterr().out
    assert "training @ iter =  0\n" in out and "training @ iter =  10\n" not in out  # every 100 iterations
    assert "Best validation score of" in out and "with test performance" in out
    # a net that ignores its input errs on 90 % of the ten balanced classes; this one has started to learn (0.52)
    assert record["training"]["epochs"] == 2 and 0 <= record["test_error"] < 0.7
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["test_error"] == record["test_error"]
    with open(tmp_path / "run" / "best_model.pkl", "rb") as f:
        params = pickle.load(f)
    assert [p.shape for p in params][-4:] == [(4, 3, 5, 5), (4,), (3, 1, 5, 5), (3,)]  # layers 1 and 0 come last
    assert Image.open(tmp_path / "run" / "filters_layer0.png").size == (8 * (10 * 5 + 9), 8 * 5)  # 3 filters, scaled 8x


def test_lenet_steps_match_a_hand_written_numpy_backprop(tmp_path, float64):
    """PyTensor's gradients of the whole network against the benchmark's numpy LeNet (im2col, col2im)."""
    from bench.references import numpy_lenet
    from dltutorial.core.data import load_mnist

    folder = str(write_idx_folder(tmp_path / "idx", side=16))
    datasets = load_data(folder)
    train_x, train_y = load_mnist(folder)[0]
    index, x, y = pt.lscalar("index"), pt.matrix("x"), pt.ivector("y")
    model = LeNet5(numpy.random.RandomState(23455), x, 50, image_side=16, nkerns=(3, 4))
    train = sgd_training_function(index, 50, x, y, model.negative_log_likelihood(y), model.params, 0.1,
                                  datasets[0])
    reference = numpy_lenet(numpy.asarray(train_x, "float64"), numpy.asarray(train_y), batch_size=50,
                            nkerns=(3, 4))
    for i in range(3):
        train(i)
        reference(i)
    expected = reference.params
    assert abs(expected[-2]).max() > 0
    # three steps of ours and of numpy's: the longest sums are the first filters' gradients (50 images x 12 x 12
    # positions), then the 25- and 75-term convolutions, the hidden layer's 4 and 500 terms and the softmax's 10;
    # relative to each parameter's scale
    rtol = trajectory_rtol(3, (50 * 12 * 12, 25, 75, 4, 500, 10), "float64")
    for param, want in zip(model.params, expected):
        assert_within(param.get_value(), want, rtol * (abs(want) + abs(want).max()), "parameters")


def test_experiment_passes_the_jobman_state_to_evaluate_lenet5(monkeypatch):
    from types import SimpleNamespace

    from dltutorial import convolutional_mlp

    calls = []
    monkeypatch.setattr(convolutional_mlp, "evaluate_lenet5", lambda *args, **kwargs: calls.append((args, kwargs)))
    convolutional_mlp.experiment(SimpleNamespace(learning_rate=0.05, dataset="mnist.pkl.gz"), channel=None)
    assert calls == [((0.05,), {"dataset": "mnist.pkl.gz"})]
