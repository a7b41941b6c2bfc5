"""``make reproduce``: every tutorial with its published settings, with N seeds, against its published figures.

``make reproduce SEEDS=N`` runs each tutorial with N seeds, the original's
first (``seed``, ``seed + 1`` ...), each run a task on a Dask cluster
(:mod:`bench.seed_runs`: a local one by default, ``--scheduler`` for another)
in its own folder ``runs/<tutorial>-seed<seed>/``, where an interrupted run
resumes after its last finished epoch.  Each finished run's record is kept
in ``reproduction/records/`` (in the repository); a run whose record is
there is not run again, so more seeds can be added later.  REPRODUCTION.md
is then written from the records (:mod:`bench.reproduction_report`): per
published figure, the original seed's value, the mean, standard deviation,
range and N of ours, and whether the published value lies in our range.
``--quick`` (``QUICK=1``) cuts the epochs so that every tutorial finishes in
minutes: its figures show the pipeline works, not the published numbers.
"""

import argparse
import inspect
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytensor

from dltutorial.core.modes import FLOAT_TYPES, MODE_NAMES, default_mode
from dltutorial.convolutional_mlp import evaluate_lenet5
from dltutorial.cA import test_cA
from dltutorial.dA import test_dA
from dltutorial.DBN import test_DBN
from dltutorial.hmc import test_hmc
from dltutorial.__main__ import one_line_errors, sigterm_as_ctrl_c
from dltutorial.logistic_cg import cg_optimization_mnist
from dltutorial.logistic_sgd import sgd_optimization_mnist
from dltutorial.lstm_chars import lstm_chars
from dltutorial.masking_noise import masking_noise_sae
from dltutorial.mlp import test_mlp
from dltutorial.rbm import test_rbm
from dltutorial.rnnrbm import test_rnnrbm
from dltutorial.rnnslu import main as rnnslu_main
from dltutorial.SdA import test_SdA

from .reproduction_report import PROJECT, RECORDS, has_record, save_record, write_report
from .seed_runs import machine, run_on_cluster


def errors(record):
    """An early-stopping run's validation and test error rates, in %."""
    return {"validation error (%)": 100 * record["best_validation_error"], "test error (%)": 100 * record["test_error"]}


def _early_stopping_seconds(record):
    return record["training"]["seconds"]


def last_of(key, label):
    """The metric ``{label: record[key][-1]}``: the last epoch's value of a per-epoch list."""
    return lambda record: {label: record[key][-1]}


@dataclass
class Reproduction:
    """One tutorial's reproduction: how to run it, what its source published and which numbers of a run compare."""

    name: str
    run: object  # the entry function
    full: dict  # its keyword arguments besides the dataset and the seed (published settings: mostly the defaults)
    quick: dict  # the same, with fewer epochs
    published: str  # the figures its source reports, as it words them
    published_time: str  # with the hardware
    source: str  # where they are reported
    metrics: object  # metrics(results) -> {figure: our value}, from the run's results.json
    published_values: dict  # {figure: the published value, or None where nothing comparable was published}
    seconds: object  # seconds(results) -> our training time
    seed_parameter: str = "seed"  # "seed", "seeds" (a tuple: one seed a run), "param" (rnnslu's dict) or None
    dataset_keyword: str = "dataset"
    data: str = "MNIST"  # what it trains on here
    figures: list = field(default_factory=list)  # PNG names the run writes

    def original_seed(self):
        """The seed the original used: the entry function's default (None: the tutorial draws no random numbers)."""
        if self.seed_parameter is None:
            return None
        if self.seed_parameter == "param":
            return inspect.getmodule(self.run).DEFAULT_PARAM["seed"]
        default = inspect.signature(self.run).parameters[self.seed_parameter].default
        return default[0] if self.seed_parameter == "seeds" else default

    def seeds(self, n):
        """The first ``n`` seeds: the original's, then the next integers; one run (None) if nothing is random."""
        first = self.original_seed()
        return [None] if first is None else [first + i for i in range(n)]

    def arguments(self, seed, quick, dataset):
        """The entry function's keyword arguments for one run (besides the output folder, mode and floatX)."""
        kwargs = dict(self.quick if quick else self.full)
        if self.dataset_keyword:
            kwargs[self.dataset_keyword] = str(Path(dataset).resolve())
        if self.seed_parameter == "param":
            kwargs["param"] = {**kwargs.get("param", {}), "seed": seed}
        elif self.seed_parameter == "seeds":
            kwargs["seeds"] = (seed,)
        elif self.seed_parameter:
            kwargs["seed"] = seed
        return kwargs

    def command(self, seed, quick, dataset="mnist.pkl.gz"):
        """The Python call that makes one run, to show beside its numbers."""
        kwargs = ", ".join(f"{k}={v!r}" for k, v in self.arguments(seed, quick, dataset).items())
        return f"{self.run.__module__}.{self.run.__name__}({kwargs})"


REPRODUCTIONS = [
    Reproduction("logistic_sgd", sgd_optimization_mnist, {}, {"n_epochs": 5},
                 "7.50 % / 7.49 % (74 epochs)", "1.94 epochs/s (38 s), Core 2 Duo E8400 3.00 GHz",
                 "logreg.txt, 'Putting it all together'", errors,
                 {"validation error (%)": 7.50, "test error (%)": 7.49}, _early_stopping_seconds, seed_parameter=None),
    Reproduction("logistic_cg", cg_optimization_mnist, {}, {"n_epochs": 5}, "not reported", "not reported",
                 "logreg.txt (footnote: logistic_cg.py)", errors,
                 {"validation error (%)": None, "test error (%)": None}, lambda r: r["training_seconds"],
                 seed_parameter=None, dataset_keyword="mnist_pkl_gz"),
    Reproduction("mlp", test_mlp, {}, {"n_epochs": 2}, "1.69 % / 1.65 % (828 epochs)",
                 "97.34 min, Core i7-2600K 3.40 GHz", "mlp.txt, 'Putting it all together'", errors,
                 {"validation error (%)": 1.69, "test error (%)": 1.65}, _early_stopping_seconds),
    Reproduction("lenet5", evaluate_lenet5, {}, {"n_epochs": 2},
                 "0.91 % / 0.92 % (best at iteration 17800)", "380.28 min, Core i7-2600K 3.40 GHz",
                 "lenet.txt, 'Running the Code'", errors, {"validation error (%)": 0.91, "test error (%)": 0.92},
                 _early_stopping_seconds, figures=["filters_layer0.png", "validation_curve.png"]),
    Reproduction("dA", test_dA, {}, {"training_epochs": 1},
                 "filter images only", "not reported", "dA.txt, 'Running the Code'",
                 lambda r: {"final cost, corruption %g" % v["corruption"]: v["epoch_costs"][-1] for v in r["training"]},
                 {"final cost, corruption 0": None, "final cost, corruption 0.3": None},
                 lambda r: sum(v["seconds"] for v in r["training"]),
                 figures=["filters_corruption_0.png", "filters_corruption_30.png"]),
    Reproduction("SdA", test_SdA, {},
                 {"pretraining_epochs": 1, "training_epochs": 2},
                 "1.39 % / 1.3 %", "pretraining 585.01 min, finetuning 444.2 min (36 epochs), Xeon E5430 "
                 "2.66 GHz, 1-thread GotoBLAS", "SdA.txt, 'Running the Code'", errors,
                 {"validation error (%)": 1.39, "test error (%)": 1.3},
                 lambda r: r["pretraining_seconds"] + r["finetuning"]["seconds"],
                 figures=["filters_layer0.png", "finetuning_curves.png"]),
    Reproduction("rbm", test_rbm, {}, {"training_epochs": 1},
                 "PLL cost -90.65, -81.24, -74.91 ... -62.76", "122.47 min, Xeon E5430 2.66 GHz, 1 thread",
                 "rbm.txt, 'Results'", last_of("epoch_costs", "last epoch's pseudo-likelihood cost"),
                 {"last epoch's pseudo-likelihood cost": -62.76}, lambda r: r["training_seconds"],
                 figures=["samples.png", "filters_at_epoch_0.png"]),
    Reproduction("DBN", test_DBN, {},
                 {"pretraining_epochs": 1, "training_epochs": 2},
                 "1.27 % / 1.34 % (46 finetuning epochs)", "pretraining 615 min, finetuning 101 min, "
                 "Xeon X5560 2.80 GHz, 4-thread MKL", "DBN.txt, 'Results'", errors,
                 {"validation error (%)": 1.27, "test error (%)": 1.34},
                 lambda r: r["pretraining_seconds"] + r["finetuning"]["seconds"],
                 figures=["filters_layer0.png", "finetuning_curves.png"]),
    Reproduction("cA", test_cA, {}, {"training_epochs": 1},
                 "filter image only", "not reported", "cA.py (no page)",
                 lambda r: {"last epoch's reconstruction cost": r["reconstruction_costs"][-1],
                            "last epoch's Jacobian norm": r["jacobian_norms"][-1]},
                 {"last epoch's reconstruction cost": None, "last epoch's Jacobian norm": None},
                 lambda r: r["training_seconds"], figures=["cae_filters.png"]),
    Reproduction("hmc", test_hmc, {}, {"burnin": 100, "n_samples": 100},
                 "final stepsize 0.4604, acceptance rate 0.9225; empirical mean within 0.05 of the target",
                 "not reported", "hmc.txt, 'Testing our Sampler'",
                 lambda r: {"final stepsize": r["final_stepsize"], "final acceptance rate": r["final_acceptance_rate"],
                            "largest error of the empirical mean": max(
                                abs(e - t) for e, t in zip(r["empirical_mean"], r["target_mean"]))},
                 {"final stepsize": 0.4604, "final acceptance rate": 0.9225,
                  "largest error of the empirical mean": None},
                 lambda r: r["seconds"], dataset_keyword="", data="the tutorial's 5-dimensional Gaussian",
                 figures=["samples.png"]),
    Reproduction("masking_noise_sae", masking_noise_sae, {},
                 {},
                 "test error 9.33 % (masking 0) / 8.26 % (masking 0.5)", "not reported (DeepLearnToolbox, MATLAB)",
                 "reference text 001",
                 lambda r: {"test error (%%), masking %g" % x["masking_fraction"]: 100 * x["median_test_error"]
                            for x in r["results"]},
                 {"test error (%), masking 0": 9.33, "test error (%), masking 0.5": 8.26}, lambda r: r["seconds"],
                 seed_parameter="seeds"),
    Reproduction("rnnslu", rnnslu_main, {"param": {"data": "synthetic"}}, {"param": {"data": "synthetic", "nepochs": 5}},
                 "ATIS fold 3: valid F1 97.23, test F1 94.2 (best epoch 57)",
                 "about 35 s an epoch, i7 CPU 950 3.07 GHz", "rnnslu.txt, 'Running the Code'",
                 lambda r: {"best validation F1": r["best_valid_f1"], "its test F1": r["best_test_f1"]},
                 {"best validation F1": None, "its test F1": None}, lambda r: sum(r["epoch_seconds"]),
                 seed_parameter="param", dataset_keyword="",
                 data="a generated task (ATIS is not on this machine): not comparable with the published F1"),
    Reproduction("rnnrbm", test_rnnrbm, {}, {"num_epochs": 5},
                 "Nottingham, 200 epochs: monitor -15.03, -10.49, -10.24 ... -4.73; paper (JSB Chorales, RNN-RBM): "
                 "frame accuracy 33.12 % (quoted from memory, not checked here)",
                 "about 24 hours (Nottingham), not reported", "rnnrbm.txt, 'Results'; Boulanger-Lewandowski et al. "
                 "(2012), Table 1",
                 lambda r: {"last epoch's monitor": r["train_monitor"][-1],
                            "held-out frame accuracy (%)": r["test_frame_accuracy"]},
                 {"last epoch's monitor": None, "held-out frame accuracy (%)": None}, lambda r: r["training_seconds"],
                 dataset_keyword="", data="music21's Bach chorales (Nottingham is not on this machine): not "
                 "comparable with the published monitor", figures=["sample1.png"]),
    Reproduction("lstm_chars", lstm_chars, {}, {},
                 "predicts 'ihello' (2000 Adam steps)", "not reported", "reference text 003",
                 lambda r: {"predicts 'ihello' (1 yes, 0 no)": float(r["final_prediction"] == "ihello"),
                            "final loss": r["final_loss"]},
                 {"predicts 'ihello' (1 yes, 0 no)": 1.0, "final loss": None}, lambda r: r["training_seconds"],
                 dataset_keyword="", data="'hihello'", figures=["loss.png"]),
]


def reproduction_named(name):
    """The :class:`Reproduction` of the tutorial ``name`` (a one-line error naming the known ones otherwise)."""
    for reproduction in REPRODUCTIONS:
        if reproduction.name == name:
            return reproduction
    sys.exit(f"error: make reproduce knows no tutorial {name!r}; it knows {', '.join(r.name for r in REPRODUCTIONS)}")


def adopt(folder, records):
    """Record a finished run of a tutorial's own command (``make train-sda``) as one full run, with its seed.

    ``results.json`` holds what the entry function returned; the tutorial is
    the folder's name up to its timestamp (``SdA-20261125-024052``).
    """
    folder = Path(folder)
    name = folder.name.split("-")[0]
    reproduction = next((r for r in REPRODUCTIONS if r.name == name), None)
    if reproduction is None or not (folder / "results.json").exists():
        sys.exit(f"error: {folder} is not a finished run of a tutorial make reproduce knows "
                 f"({', '.join(r.name for r in REPRODUCTIONS)}): no results.json")
    results = json.loads((folder / "results.json").read_text())
    seed = results.get("parameters", {}).get("seed", reproduction.original_seed())
    finished = time.strftime("%Y-%m-%d %H:%M", time.localtime((folder / "results.json").stat().st_mtime))
    save_record({"tutorial": name, "seed": seed, "quick": False, "status": "done",
                 "mode": results.get("mode", default_mode()), "floatX": results.get("floatX", "float32"),
                 "machine": machine(), "pytensor": pytensor.__version__, "started": finished, "finished": finished,
                 "command": f"python -m dltutorial ... (run folder {folder.name})", "adopted": True,
                 "seconds": float(reproduction.seconds(results)), "results": results}, records)
    print(f"recorded {folder} as a full {name} run, seed {seed}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("DLTUTORIAL_DATA") or "mnist.pkl.gz",
                        help="MNIST (default: $DLTUTORIAL_DATA)")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="runs per tutorial: the original's seed and the next N-1 (default: 1)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs: minutes a tutorial")
    parser.add_argument("--only", nargs="+", choices=[r.name for r in REPRODUCTIONS], help="run only these")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a running Dask cluster's scheduler (tcp://host:8786, or its scheduler file); "
                             "default: a local cluster on this machine")
    parser.add_argument("--workers", type=int, help="the local cluster's worker processes (default: one per core)")
    parser.add_argument("--report-only", action="store_true", help="only regenerate REPRODUCTION.md")
    parser.add_argument("--adopt", nargs="+", metavar="RUN_FOLDER", default=[],
                        help="record finished runs of the tutorials' own commands (make train-sda) for the "
                             "report, then regenerate it")
    parser.add_argument("--mode", choices=MODE_NAMES, default=default_mode())
    parser.add_argument("--floatX", choices=FLOAT_TYPES, default="float32")
    parser.add_argument("--runs", default=str(PROJECT / "runs"),
                        help="where the run folders go (on a cluster: a folder every worker can see)")
    parser.add_argument("--records", default=str(RECORDS), help="where the finished runs' records are kept")
    parser.add_argument("--report", default=str(PROJECT / "REPRODUCTION.md"), help="the report to regenerate")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: give 1 or more")
    records = Path(args.records)
    for folder in args.adopt:
        adopt(folder, records)
    with one_line_errors(args.debug, resume="run `make reproduce` again"), sigterm_as_ctrl_c():
        if not args.report_only and not args.adopt:
            run_seeds(args, records)
        write_report(REPRODUCTIONS, records, args.report)


def run_seeds(args, records):
    """Every selected tutorial's runs that have no record yet, on the cluster; each record kept as it comes."""
    settings = dict(quick=args.quick, dataset=args.data, mode=args.mode, floatX=args.floatX,
                    runs=str(Path(args.runs).resolve()))
    tasks = [(r.name, seed, settings) for r in REPRODUCTIONS if args.only is None or r.name in args.only
             for seed in r.seeds(args.seeds) if not has_record(records, r.name, seed, args.quick)]
    if not tasks:
        print(f"every run asked for has its record in {records}")
        return
    print(f"{len(tasks)} run(s) to make: {', '.join(f'{name} seed {seed}' for name, seed, _ in tasks)}", flush=True)
    done = []

    def keep(record):
        save_record(record, records)
        done.append(record)
        print(f"[{len(done)}/{len(tasks)}] {record['tutorial']} seed {record['seed']}: done in "
              f"{record['seconds']:.1f} s", flush=True)

    failures = run_on_cluster(tasks, scheduler=args.scheduler, workers=args.workers, on_record=keep)
    if failures:
        sys.exit(f"error: {len(failures)} run(s) failed ({'; '.join(f'{key}: {e}' for key, e in failures)}); "
                 "the others' records are kept: run `make reproduce` again to retry them")


if __name__ == "__main__":
    main()
