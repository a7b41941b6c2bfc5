"""The dA and SdA tutorials on tiny data: learning, API, weight sharing, code caching, files."""

import numpy
import pytensor
import pytest
from PIL import Image

from dltutorial import SdA as sda_module
from dltutorial import dA as da_module
from dltutorial.core.checkpoints import updated_shared_variables
from dltutorial.core.data import load_data
from dltutorial.SdA import SdA

from .bounds import assert_within, trajectory_rtol


def build(tiny_idx, floatX="float64", sizes=(20, 15)):
    with pytensor.config.change_flags(floatX=floatX):
        datasets = load_data(tiny_idx)
        sda = SdA(numpy.random.RandomState(89677), n_ins=64, hidden_layers_sizes=list(sizes), n_outs=10)
    return sda, datasets


def pretrain_costs(sda, datasets, cache_codes, epochs=2, batch_size=10):
    with pytensor.config.change_flags(floatX="float64"):
        fns = sda.pretraining_functions(datasets[0][0], batch_size, cache_codes=cache_codes)
    costs = []
    for fn in fns:
        for _ in range(epochs):
            costs.append([float(fn(i, corruption=0.3, lr=0.1)) for i in range(50)])
    return costs


def test_pretraining_lowers_reconstruction_cost(tiny_idx):
    sda, datasets = build(tiny_idx)
    costs = pretrain_costs(sda, datasets, cache_codes=True, epochs=3)
    for layer in (0, 1):
        first, last = costs[3 * layer], costs[3 * layer + 2]
        assert numpy.mean(last) < 0.9 * numpy.mean(first)


def test_cached_and_uncached_pretraining_give_the_same_costs(tiny_idx):
    cached = pretrain_costs(*build(tiny_idx), cache_codes=True)
    uncached = numpy.asarray(pretrain_costs(*build(tiny_idx), cache_codes=False))
    # two graphs for one computation: 100 steps of each dA (the second on the first's codes), batch 10
    rtol = trajectory_rtol(2 * 50, (10, 64, 20, 15), "float64")
    assert_within(cached, uncached, rtol * uncached, "pretraining costs")


def test_pretraining_functions_accept_positional_keyword_and_default_arguments(tiny_idx):
    """The same first steps however the arguments come; each way starts from the same parameters and streams."""
    sda, datasets = build(tiny_idx)
    with pytensor.config.change_flags(floatX="float64"):
        fns = sda.pretraining_functions(datasets[0][0], batch_size=10)
    state = updated_shared_variables(fns).values()  # the parameters and the random streams the steps advance
    start = [variable.get_value() for variable in state]
    results = []
    for call in (lambda fn: fn(3), lambda fn: fn(3, 0.2, 0.1), lambda fn: fn(index=3, corruption=0.2, lr=0.1),
                 lambda fn: fn(3, lr=0.1), lambda fn: fn(3, corruption=0.9)):
        for variable, value in zip(state, start):
            variable.set_value(value)
        results.append([float(call(fn)) for fn in fns])
    for other in results[1:-1]:
        assert other == results[0]  # the same code on the same values, however the arguments came
    assert results[-1][0] != pytest.approx(results[0][0])  # and the corruption level given is the one used


def test_dA_shares_weights_with_its_sigmoid_layer(tiny_idx):
    sda, datasets = build(tiny_idx)
    for layer, da in zip(sda.sigmoid_layers, sda.dA_layers):
        assert da.W is layer.W and da.b is layer.b
    before = sda.sigmoid_layers[0].W.get_value().copy()
    with pytensor.config.change_flags(floatX="float64"):
        sda.pretraining_functions(datasets[0][0], batch_size=10)[0](0)
    after = sda.sigmoid_layers[0].W.get_value()
    assert not numpy.allclose(before, after)
    numpy.testing.assert_array_equal(sda.dA_layers[0].W.get_value(), after)


def test_finetuning_lowers_the_error(tiny_idx):
    sda, datasets = build(tiny_idx)
    with pytensor.config.change_flags(floatX="float64"):
        train_fn, valid_score, test_score = sda.build_finetune_functions(datasets, batch_size=10, learning_rate=0.1)
    before = numpy.mean(valid_score())
    for _ in range(5):
        for i in range(50):
            train_fn(i)
    after = numpy.mean(valid_score())
    assert len(valid_score()) == 10 and len(test_score()) == 12
    assert after < 0.1 < before


def run_test_SdA(dataset, folder):
    return sda_module.test_SdA(pretraining_epochs=1, training_epochs=2, dataset=dataset, batch_size=10,
                               output_folder=folder)


def test_test_SdA_end_to_end_writes_results(tiny_idx, tmp_path, capsys):
    import json

    record = run_test_SdA(tiny_idx, tmp_path / "run")
    out = capsys.readouterr().out
    assert "Pre-training layer 2, epoch 0, cost" in out
    assert "Optimization complete with best validation score of" in out and "on iteration" in out
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["test_error"] == record["test_error"] and len(saved["pretraining_costs"]) == 3
    assert Image.open(tmp_path / "run" / "filters_layer0.png").size == (10 * 9 - 1, 10 * 9 - 1)
    assert (tmp_path / "run" / "finetuning_curves.png").stat().st_size > 1000


@pytest.mark.training
def test_test_SdA_repeats_its_numbers_from_its_seeds(tiny_idx, tmp_path):
    record, again = (run_test_SdA(tiny_idx, tmp_path / folder) for folder in ("run", "again"))
    assert again["pretraining_costs"] == record["pretraining_costs"]
    assert again["finetuning"]["epoch_costs"] == record["finetuning"]["epoch_costs"]


def test_test_dA_writes_both_filter_images(tiny_idx, tmp_path, capsys):
    results = da_module.test_dA(training_epochs=2, dataset=tiny_idx, output_folder=str(tmp_path / "plots"))
    assert "Training epoch 1, cost " in capsys.readouterr().out
    assert [run["filters"] for run in results["training"]] == ["filters_corruption_0.png", "filters_corruption_30.png"]
    for run in results["training"]:
        image = Image.open(tmp_path / "plots" / run["filters"])
        assert image.size == (10 * 9 - 1, 10 * 9 - 1)  # 10x10 tiles of 8x8 (tiny data) with 1-pixel spacing
        costs = run["epoch_costs"]
        assert costs[-1] < costs[0]
