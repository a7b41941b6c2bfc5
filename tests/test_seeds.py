"""Every entry function with random numbers takes ``seed=`` (keyword-only, the original's seed by default), and it works."""

import inspect
import json

import numpy
import pytest

from bench.reproduce import REPRODUCTIONS
from bench.reproduction_report import statistics_rows
from dltutorial.__main__ import TUTORIALS, build_parser, entry_function
from dltutorial.dA import test_dA

# the seeds the original scripts hard-code (lisa-lab/DeepLearningTutorials code/*.py; reference texts 001, 003)
ORIGINAL_SEEDS = {"mlp": 1234, "lenet5": 23455, "dA": 123, "SdA": 89677, "rbm": 123, "DBN": 123, "cA": 123,
                  "hmc": 12345, "masking_noise_sae": 0, "rnnslu": 345, "rnnrbm": 0xbeef, "lstm_chars": 1234}
NOTHING_RANDOM = {"logistic_sgd", "logistic_cg"}  # zero initial weights, minibatches in order


@pytest.mark.parametrize("reproduction", REPRODUCTIONS, ids=lambda r: r.name)
def test_each_tutorial_is_seeded_by_default_as_the_original(reproduction):
    assert reproduction.original_seed() == (None if reproduction.name in NOTHING_RANDOM
                                            else ORIGINAL_SEEDS[reproduction.name])
    assert reproduction.seeds(3) == ([None] if reproduction.name in NOTHING_RANDOM else
                                     [ORIGINAL_SEEDS[reproduction.name] + i for i in range(3)])


@pytest.mark.parametrize("reproduction", [r for r in REPRODUCTIONS if r.seed_parameter == "seed"], ids=lambda r: r.name)
def test_seed_is_keyword_only_unless_the_original_had_it(reproduction):
    """Ours come after the original's parameters, keyword-only; lstm_chars (reference text 003) had ``seed`` itself."""
    seed = inspect.signature(reproduction.run).parameters["seed"]
    assert seed.kind is (inspect.Parameter.POSITIONAL_OR_KEYWORD if reproduction.name == "lstm_chars"
                         else inspect.Parameter.KEYWORD_ONLY)


def test_the_command_line_takes_seed():
    args = build_parser("SdA").parse_args(["SdA", "--seed", "7"])
    assert args.seed == 7


def test_the_seed_decides_the_run_and_the_default_is_the_originals(tiny_idx, tmp_path):
    """The dA's numpy generator and the corruption stream drawn from it: the same seed, the same costs."""
    def costs(folder, **seed):
        test_dA(training_epochs=1, dataset=str(tiny_idx), output_folder=tmp_path / folder, **seed)
        record = json.loads((tmp_path / folder / "results.json").read_text())
        return record["parameters"]["seed"], [run["epoch_costs"] for run in record["training"]]

    default, explicit, other = costs("default"), costs("explicit", seed=123), costs("other", seed=124)
    assert default == explicit and default[0] == 123
    assert other[0] == 124 and other[1][0] != default[1][0] and other[1][1] != default[1][1]


@pytest.mark.parametrize("tutorial", sorted(TUTORIALS))
def test_every_entry_function_with_random_numbers_takes_a_seed(tutorial):
    """``--seed`` for every tutorial that draws random numbers; ``rnnslu``'s is its ``param`` dict's, as the original."""
    parameters = inspect.signature(entry_function(tutorial)).parameters
    seeded = "seed" in parameters or "seeds" in parameters or (
        "param" in parameters and "seed" in inspect.getmodule(entry_function(tutorial)).DEFAULT_PARAM)
    assert seeded != (tutorial in NOTHING_RANDOM | {"predict"})


def test_the_report_gives_each_figure_our_spread_and_whether_the_published_value_is_in_it():
    """The mlp's rows from five made-up runs' records: mean, sample sd and range as numpy computes them."""
    mlp = next(r for r in REPRODUCTIONS if r.name == "mlp")
    rng = numpy.random.RandomState(0)
    valid, test = 0.0169 + rng.uniform(-0.001, 0.001, 5), 0.0175 + rng.uniform(0.0, 0.001, 5)  # test: all above 1.65
    records = [{"seed": 1234 + i, "quick": False, "results": {"best_validation_error": v, "test_error": t}}
               for i, (v, t) in enumerate(zip(valid, test))]
    rows = statistics_rows(mlp, records)
    for row, published, ours, verdict in [(rows[0], "1.69", 100 * valid, "yes"), (rows[1], "1.65", 100 * test, "no")]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2:] == [published, "%.4g" % ours[0], "%.4g ± %.4g" % (ours.mean(), ours.std(ddof=1)),
                             "%.4g to %.4g" % (ours.min(), ours.max()), "5", verdict]
    assert statistics_rows(mlp, records[:1])[0].endswith("| 1 | - |")  # one run has no range to be in
