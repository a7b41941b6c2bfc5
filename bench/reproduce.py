"""``make reproduce``: run every tutorial with its published settings on MNIST, then write REPRODUCTION.md.

Each tutorial runs with its own folder ``runs/<tutorial>-<time>/`` as its
``output_folder`` (its log, results, figures and checkpoints go there): an
interrupted run (Ctrl-C, a lost machine) resumes after its last finished
epoch when ``make reproduce`` is run again.  ``--quick`` (``make reproduce
QUICK=1``) cuts the epochs so that everything finishes in under 10 minutes
on a 2-core machine (7.6 min here); its figures show the pipeline works, not
the published numbers.  At the end, REPRODUCTION.md is regenerated from the newest finished
run of each tutorial (a full run is preferred to a quick one), its figures
copied beside it into ``reproduction/``.
"""

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytensor

from dltutorial.engine.configure import use_one_blas_thread_by_default
from dltutorial.core.modes import FLOAT_TYPES, MODE_NAMES, default_mode
from dltutorial.convolutional_mlp import evaluate_lenet5
from dltutorial.cA import test_cA
from dltutorial.dA import test_dA
from dltutorial.DBN import test_DBN
from dltutorial.hmc import test_hmc
from dltutorial.__main__ import one_line_errors
from dltutorial.core.files import atomic_write, save_json
from dltutorial.core.runs import new_run_folder
from .machine import c_blas, cpu_model
from dltutorial.logistic_cg import cg_optimization_mnist
from dltutorial.logistic_sgd import sgd_optimization_mnist
from dltutorial.lstm_chars import lstm_chars
from dltutorial.masking_noise import masking_noise_sae
from dltutorial.mlp import test_mlp
from dltutorial.rbm import test_rbm
from dltutorial.rnnrbm import test_rnnrbm
from dltutorial.rnnslu import main as rnnslu_main
from dltutorial.SdA import test_SdA

PROJECT = Path(__file__).resolve().parent.parent
DOCS = "http://deeplearning.net/tutorial/"  # the tutorial's pages; their sources are lisa-lab/DeepLearningTutorials doc/


def percent(value):
    return "%.2f %%" % (100 * value)


def valid_test(record):
    """'valid / test' of an early-stopping run's record."""
    return f"{percent(record['best_validation_error'])} / {percent(record['test_error'])}"


def costs_first_last(costs):
    return ", ".join("%.2f" % c for c in costs[:3]) + (" ... %.2f" % costs[-1] if len(costs) > 3 else "")


@dataclass
class Reproduction:
    """One tutorial's reproduction: how to run it, what it published and how to say what we got."""

    name: str
    run: object  # the entry function
    full: dict  # its keyword arguments besides the dataset (published settings: mostly the defaults)
    quick: dict  # the same, with fewer epochs
    published: str  # the figures its page reports
    published_time: str  # with the hardware
    source: str  # where they are reported
    ours: object  # ours(record) -> the figures we got, in the published figures' form
    seconds: object  # seconds(record) -> our training time
    dataset_keyword: str = "dataset"
    figures: list = field(default_factory=list)  # PNG names the run writes


def _early_stopping_seconds(record):
    return record["training"]["seconds"]


REPRODUCTIONS = [
    Reproduction("logistic_sgd", sgd_optimization_mnist, {}, {"n_epochs": 5},
                 "7.50 % / 7.49 % (74 epochs)", "1.94 epochs/s (38 s), Core 2 Duo E8400 3.00 GHz",
                 "logreg.txt, 'Putting it all together'", valid_test, _early_stopping_seconds),
    Reproduction("logistic_cg", cg_optimization_mnist, {}, {"n_epochs": 5}, "not reported", "not reported",
                 "logreg.txt (footnote: logistic_cg.py)", valid_test, lambda r: r["training_seconds"],
                 dataset_keyword="mnist_pkl_gz"),
    Reproduction("mlp", test_mlp, {}, {"n_epochs": 2}, "1.69 % / 1.65 % (828 epochs)",
                 "97.34 min, Core i7-2600K 3.40 GHz", "mlp.txt, 'Putting it all together'", valid_test,
                 _early_stopping_seconds),
    Reproduction("lenet5", evaluate_lenet5, {}, {"n_epochs": 2},
                 "0.91 % / 0.92 % (best at iteration 17800)", "380.28 min, Core i7-2600K 3.40 GHz",
                 "lenet.txt, 'Running the Code'", valid_test, _early_stopping_seconds,
                 figures=["filters_layer0.png", "validation_curve.png"]),
    Reproduction("dA", test_dA, {}, {"training_epochs": 1},
                 "filter images only", "not reported", "dA.txt, 'Running the Code'",
                 lambda r: "final cost " + ", ".join("%.2f (corruption %g)" % (v["epoch_costs"][-1], v["corruption"])
                                                     for v in r["training"]),
                 lambda r: sum(v["seconds"] for v in r["training"]),
                 figures=["filters_corruption_0.png", "filters_corruption_30.png"]),
    Reproduction("SdA", test_SdA, {},
                 {"pretraining_epochs": 1, "training_epochs": 2},
                 "1.39 % / 1.3 %", "pretraining 585.01 min, finetuning 444.2 min (36 epochs), Xeon E5430 "
                 "2.66 GHz, 1-thread GotoBLAS", "SdA.txt, 'Running the Code'", valid_test,
                 lambda r: r["pretraining_seconds"] + r["finetuning"]["seconds"],
                 figures=["filters_layer0.png", "finetuning_curves.png"]),
    Reproduction("rbm", test_rbm, {}, {"training_epochs": 1},
                 "PLL cost -90.65, -81.24, -74.91 ... -62.76", "122.47 min, Xeon E5430 2.66 GHz, 1 thread",
                 "rbm.txt, 'Results'", lambda r: "PLL cost " + costs_first_last(r["epoch_costs"]),
                 lambda r: r["training_seconds"], figures=["samples.png", "filters_at_epoch_0.png"]),
    Reproduction("DBN", test_DBN, {},
                 {"pretraining_epochs": 1, "training_epochs": 2},
                 "1.27 % / 1.34 % (46 finetuning epochs)", "pretraining 615 min, finetuning 101 min, "
                 "Xeon X5560 2.80 GHz, 4-thread MKL", "DBN.txt, 'Results'", valid_test,
                 lambda r: r["pretraining_seconds"] + r["finetuning"]["seconds"],
                 figures=["filters_layer0.png", "finetuning_curves.png"]),
    Reproduction("cA", test_cA, {}, {"training_epochs": 1},
                 "filter image only", "not reported", "cA.py (no page)",
                 lambda r: "reconstruction cost %.2f, Jacobian norm %.3f" % (r["reconstruction_costs"][-1],
                                                                            r["jacobian_norms"][-1]),
                 lambda r: r["training_seconds"], figures=["cae_filters.png"]),
    Reproduction("hmc", test_hmc, {}, {"burnin": 100, "n_samples": 100},
                 "final stepsize 0.4604, acceptance rate 0.9225; empirical mean within 0.05 of the target",
                 "not reported", "hmc.txt, 'Testing our Sampler'",
                 lambda r: "final stepsize %.4f, acceptance rate %.4f; empirical mean within %.2f of the target" % (
                     r["final_stepsize"], r["final_acceptance_rate"],
                     max(abs(e - t) for e, t in zip(r["empirical_mean"], r["target_mean"]))),
                 lambda r: r["seconds"], dataset_keyword="", figures=["samples.png"]),
    Reproduction("masking_noise_sae", masking_noise_sae, {},
                 {"seeds": (0,)},
                 "test error 9.33 % (masking 0) / 8.26 % (masking 0.5)", "not reported (DeepLearnToolbox, MATLAB)",
                 "reference text 001", lambda r: "median test error " + " / ".join(
                     "%s (masking %g)" % (percent(x["median_test_error"]), x["masking_fraction"]) for x in r["results"]),
                 lambda r: r["seconds"]),
    Reproduction("rnnslu", rnnslu_main, {"param": {"data": "synthetic"}}, {"param": {"data": "synthetic", "nepochs": 5}},
                 "ATIS fold 3: valid F1 97.23, test F1 94.2 (best epoch 57)",
                 "about 35 s an epoch, i7 CPU 950 3.07 GHz", "rnnslu.txt, 'Running the Code'",
                 lambda r: "generated task (ATIS is not on this machine): valid F1 %.2f, test F1 %.2f (best epoch %d)"
                 % (r["best_valid_f1"], r["best_test_f1"], r["best_epoch"]),
                 lambda r: sum(r["epoch_seconds"]), dataset_keyword=""),
    Reproduction("rnnrbm", test_rnnrbm, {}, {"num_epochs": 5},
                 "Nottingham, 200 epochs: monitor -15.03, -10.49, -10.24 ... -4.73; paper (JSB Chorales, RNN-RBM): "
                 "frame accuracy 33.12 % (quoted from memory, not checked here)",
                 "about 24 hours (Nottingham), not reported", "rnnrbm.txt, 'Results'; Boulanger-Lewandowski et al. "
                 "(2012), Table 1",
                 lambda r: "%s, %d epochs: monitor %s; held-out frame accuracy %.2f %%" % (
                     "Bach chorales (music21)" if r["dataset"].endswith("bach_chorales") else r["dataset"],
                     len(r["train_monitor"]), costs_first_last(r["train_monitor"]), r["test_frame_accuracy"]),
                 lambda r: r["training_seconds"], dataset_keyword="", figures=["sample1.png"]),
    Reproduction("lstm_chars", lstm_chars, {}, {},
                 "predicts 'ihello' (2000 Adam steps)", "not reported", "reference text 003",
                 lambda r: "predicts %r, loss %.2g" % (r["final_prediction"], r["final_loss"]),
                 lambda r: r["training_seconds"], dataset_keyword="", figures=["loss.png"]),
]


class Tee:
    """A stream that writes to several streams (the terminal and the run's log file)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()

    def isatty(self):
        return False


def machine():
    """The CPU (model, family and model numbers), the cores, the C backend's BLAS and the threads of it and OpenMP."""
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    omp = os.environ.get("OMP_NUM_THREADS", f"{len(os.sched_getaffinity(0))} (one per core)")
    return (f"{cpu_model()}, {os.cpu_count()} cores, BLAS {c_blas()}"
            + (f", {threads} BLAS thread(s)" if threads else "") + f", OpenMP threads {omp}")


def unfinished_run(name, quick, runs):
    """The newest run folder of ``name`` that started with the same ``quick`` and did not finish."""
    for folder in sorted(runs.glob(f"{name}-*"), reverse=True):
        status = folder / "reproduce.json"
        if status.exists():
            info = json.loads(status.read_text())
            if info["quick"] == quick and info["status"] == "running":
                return folder
    return None


def run_one(reproduction, dataset, quick, mode, floatX, runs):
    """Run (or resume) one tutorial in its run folder; record what it found in ``reproduce.json``."""
    folder = unfinished_run(reproduction.name, quick, runs)
    resumed = folder is not None
    folder = folder or new_run_folder(reproduction.name, base=runs)
    info = {"tutorial": reproduction.name, "quick": quick, "status": "running", "mode": mode, "floatX": floatX,
            "machine": machine(), "pytensor": pytensor.__version__, "started": time.strftime("%Y-%m-%d %H:%M")}
    if resumed:
        info = {**json.loads((folder / "reproduce.json").read_text()), "status": "running"}
    save_json(info, folder / "reproduce.json")
    kwargs = dict(reproduction.quick if quick else reproduction.full)
    if reproduction.dataset_keyword:
        kwargs[reproduction.dataset_keyword] = str(Path(dataset).resolve())
    print(f"=== {reproduction.name}: {'resuming' if resumed else 'running'} in {folder}", flush=True)
    with open(folder / "log.txt", "a", buffering=1) as log, contextlib.redirect_stdout(Tee(sys.stdout, log)), \
            contextlib.redirect_stderr(Tee(sys.stderr, log)):
        record = reproduction.run(**kwargs, output_folder=folder, mode=mode, floatX=floatX)
    info.update(status="done", finished=time.strftime("%Y-%m-%d %H:%M"), ours=reproduction.ours(record),
                seconds=float(reproduction.seconds(record)))
    save_json(info, folder / "reproduce.json")
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)  # done: the results are what counts now
    return info


def adopt(folder):
    """Record a finished run of a tutorial's own command (``make train-sda``) as a full run for the report.

    ``results.json`` holds what the entry function returned; the tutorial is
    the folder's name up to its timestamp (``SdA-20261125-024052``).
    """
    folder = Path(folder)
    name = folder.name.split("-")[0]
    reproduction = next((r for r in REPRODUCTIONS if r.name == name), None)
    if reproduction is None or not (folder / "results.json").exists():
        sys.exit(f"error: {folder} is not a finished run of a tutorial make reproduce knows "
                 f"({', '.join(r.name for r in REPRODUCTIONS)}): no results.json")
    record = json.loads((folder / "results.json").read_text())
    modified = time.strftime("%Y-%m-%d %H:%M", time.localtime((folder / "results.json").stat().st_mtime))
    info = {"tutorial": name, "quick": False, "status": "done", "mode": record.get("mode", default_mode()),
            "floatX": record.get("floatX", "float32"), "machine": machine(), "pytensor": pytensor.__version__,
            "finished": modified, "ours": reproduction.ours(record), "seconds": float(reproduction.seconds(record)),
            "adopted": True}
    save_json(info, folder / "reproduce.json")
    print(f"recorded {folder} as a full {name} run")


def newest_done(name, runs):
    """The newest finished run of ``name``, full runs before quick ones: (folder, info) or None."""
    done = []
    for status in runs.glob(f"{name}-*/reproduce.json"):
        info = json.loads(status.read_text())
        if info["status"] == "done":
            done.append((not info["quick"], info["finished"], status.parent, info))
    return max(done, key=lambda d: d[:2])[2:] if done else None


def duration(seconds):
    return "%.1f min" % (seconds / 60) if seconds >= 60 else "%.1f s" % seconds


def earlier_report(path):
    """The rows and figure entries of the report at ``path`` that came from runs: {tutorial: line}.

    ``runs/`` stays on the machine that made the runs (it is git-ignored), so
    a report regenerated elsewhere keeps the rows of runs it cannot see.
    """
    rows, figures = {}, {}
    if not Path(path).exists():
        return rows, figures
    lines = Path(path).read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("| ") and "not run yet" not in line:
            rows[line[2:].split(" |")[0].split(" (*quick*)")[0]] = line
        elif line.startswith("- ") and i + 1 < len(lines):
            figures.setdefault(line[2:].split(",")[0].split(" (*quick*)")[0], []).append(line + "\n" + lines[i + 1])
    rows.pop("tutorial", None)  # the table's header
    return rows, figures


def write_report(runs, path=PROJECT / "REPRODUCTION.md"):
    """Regenerate REPRODUCTION.md from the newest finished runs; copy their figures beside it (``reproduction/``)."""
    path = Path(path)
    figures_dir = path.parent / "reproduction"
    lines = ["# Reproduction of the published figures", "",
             "Generated by `make reproduce` (`python -m bench.reproduce`) from the newest finished run of each",
             "tutorial in `runs/`; do not edit by hand. Errors are validation / test error rates. Published",
             f"figures are those of the tutorial's own pages ({DOCS}, sources in",
             "lisa-lab/DeepLearningTutorials `doc/*.txt`) or of the reference texts in `../shared/reference/`.",
             "A run marked *quick* used `QUICK=1` (fewer epochs): it shows that the tutorial runs end to end,",
             "not the published numbers.", "",
             "| tutorial | published | ours | published time, hardware | our time, hardware | mode, floatX | source |",
             "|---|---|---|---|---|---|---|"]
    figure_lines = []
    earlier_rows, earlier_figures = earlier_report(path)
    for reproduction in REPRODUCTIONS:
        found = newest_done(reproduction.name, runs)
        if found is None and reproduction.name in earlier_rows:
            lines.append(earlier_rows[reproduction.name])
            figure_lines += earlier_figures.get(reproduction.name, [])
            continue
        if found is None:
            lines.append(f"| {reproduction.name} | {reproduction.published} | not run yet | "
                         f"{reproduction.published_time} | | | {reproduction.source} |")
            continue
        folder, info = found
        quick = " (*quick*)" if info["quick"] else ""
        lines.append(f"| {reproduction.name}{quick} | {reproduction.published} | {info['ours']} | "
                     f"{reproduction.published_time} | {duration(info['seconds'])}, {info['machine']} | "
                     f"{info['mode']}, {info['floatX']} | {reproduction.source} |")
        for name in reproduction.figures:
            if (folder / name).exists():
                target = figures_dir / reproduction.name / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / name, target)
                figure_lines.append(f"- {reproduction.name}{quick}, `{name}` (run {folder.name}):\n"
                                    f"  ![{reproduction.name} {name}]({target.relative_to(path.parent)})")
    lines += ["", "## Figures", ""] + (figure_lines or ["(none yet)"])
    with atomic_write(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("DLTUTORIAL_DATA") or "mnist.pkl.gz",
                        help="MNIST (default: $DLTUTORIAL_DATA)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs: under 10 minutes in all")
    parser.add_argument("--only", nargs="+", choices=[r.name for r in REPRODUCTIONS], help="run only these")
    parser.add_argument("--report-only", action="store_true", help="only regenerate REPRODUCTION.md")
    parser.add_argument("--adopt", nargs="+", metavar="RUN_FOLDER", default=[],
                        help="record finished runs of the tutorials' own commands (make train-sda) for the "
                             "report, then regenerate it")
    parser.add_argument("--mode", choices=MODE_NAMES, default=default_mode())
    parser.add_argument("--floatX", choices=FLOAT_TYPES, default="float32")
    parser.add_argument("--runs", default=str(PROJECT / "runs"), help="where the run folders go")
    parser.add_argument("--report", default=str(PROJECT / "REPRODUCTION.md"), help="the report to regenerate")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    args = parser.parse_args(argv)
    use_one_blas_thread_by_default()
    runs = Path(args.runs)
    for folder in args.adopt:
        adopt(folder)
    with one_line_errors(args.debug, resume="run `make reproduce` again"):
        if not args.report_only and not args.adopt:
            for reproduction in REPRODUCTIONS:
                if args.only is None or reproduction.name in args.only:
                    run_one(reproduction, args.data, args.quick, args.mode, args.floatX, runs)
        write_report(runs, args.report)


if __name__ == "__main__":
    main()
