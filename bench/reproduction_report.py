"""The records of ``make reproduce``'s runs, and REPRODUCTION.md written from them: the published figures against our spread.

A finished run's record (:func:`bench.seed_runs.run_seed`: its ``results.json``
with the seed, the machine, the date and the call) is kept in
``reproduction/records/<tutorial>/seed<seed>[-quick].json``, in the
repository: the report can be written again on another machine, and more
seeds added later, without running the old ones again.  Per published figure
the report gives the original seed's value, the mean, the sample standard
deviation, the range and N of ours, and whether the published value lies in
our range; per tutorial a figure of the runs' values with the published one
marked (``reproduction/<tutorial>/seeds.png``).
"""

import json
import shutil
import statistics
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dltutorial.core.files import atomic_write, save_json
from dltutorial.core.plots import save_figure

from .seed_runs import seed_label

PROJECT = Path(__file__).resolve().parent.parent
RECORDS = PROJECT / "reproduction" / "records"
DOCS = "http://deeplearning.net/tutorial/"  # the tutorial's pages; their sources are lisa-lab/DeepLearningTutorials doc/


def record_path(records, tutorial, seed, quick):
    return Path(records) / tutorial / f"{seed_label(seed, quick)}.json"


def has_record(records, tutorial, seed, quick):
    return record_path(records, tutorial, seed, quick).exists()


def save_record(record, records):
    """Keep one finished run's record (written atomically: a record is whole or absent)."""
    path = record_path(records, record["tutorial"], record["seed"], record["quick"])
    path.parent.mkdir(parents=True, exist_ok=True)
    save_json(record, path)


def records_of(records, tutorial):
    """A tutorial's kept records, full runs if it has any, else its quick ones; seeds in order."""
    found = [json.loads(path.read_text()) for path in sorted((Path(records) / tutorial).glob("seed*.json"))]
    full = [r for r in found if not r["quick"]]
    return sorted(full or found, key=lambda r: (r["seed"] is not None, r["seed"] or 0))


def spread(values):
    """N, mean, sample standard deviation (None for one value), min and max of a list of numbers."""
    return {"n": len(values), "mean": statistics.fmean(values),
            "sd": statistics.stdev(values) if len(values) > 1 else None, "min": min(values), "max": max(values)}


def number(value):
    return "%.4g" % value


def inside(published, ours):
    """Whether the published value lies in our range: 'yes', 'no', or '-' (nothing to compare, or one run)."""
    if published is None or ours["n"] < 2:
        return "-"
    # at the precision the table shows: an error rate of 1.65 % is 100 * 0.0165 = 1.6500000000000001
    low, high = (float(number(value)) for value in (ours["min"], ours["max"]))
    return "yes" if low <= published <= high else "no"


def statistics_rows(reproduction, records):
    """The statistics table's rows of one tutorial: one per figure that its runs measure."""
    rows = []
    original = reproduction.original_seed()
    quick = " (*quick*)" if records[0]["quick"] else ""
    measured = [reproduction.metrics(r["results"]) for r in records]
    for figure, published in reproduction.published_values.items():
        values = [m[figure] for m in measured]
        ours = spread(values)
        at_original = [v for v, r in zip(values, records) if r["seed"] == original]
        sd = "" if ours["sd"] is None else " ± " + number(ours["sd"])
        rows.append(f"| {reproduction.name}{quick} | {figure} | {'-' if published is None else number(published)} | "
                    f"{number(at_original[0]) if at_original else '-'} | {number(ours['mean'])}{sd} | "
                    f"{number(ours['min'])} to {number(ours['max'])} | {ours['n']} | {inside(published, ours)} |")
    return rows


def seeds_figure(reproduction, records, path):
    """One panel per figure: each run's value by its seed, the original seed's ringed, the published value a line."""
    figures = list(reproduction.published_values)
    fig = Figure(figsize=(4.5 * len(figures), 3.2))
    axes = fig.subplots(1, len(figures), squeeze=False)[0]
    original = reproduction.original_seed()
    seeds = [r["seed"] if r["seed"] is not None else 0 for r in records]
    measured = [reproduction.metrics(r["results"]) for r in records]
    for ax, figure in zip(axes, figures):
        values = [m[figure] for m in measured]
        ax.plot(values, seeds, "o", color="tab:blue", label=f"ours ({len(values)} run(s))")
        ax.plot([v for v, r in zip(values, records) if r["seed"] == original],
                [s for s, r in zip(seeds, records) if r["seed"] == original], "o", markersize=11, fillstyle="none",
                color="black", label="the original's seed")
        if reproduction.published_values[figure] is not None:
            ax.axvline(reproduction.published_values[figure], color="tab:red", linestyle="--", label="published")
        ax.set_xlabel(figure)
        ax.set_ylabel("seed")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4), useOffset=False)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(reproduction.name)
    save_figure(fig, path)


def runs_row(reproduction, records):
    """The runs table's row of one tutorial: how many, with which seeds, how long, where, when and how."""
    seconds = statistics.median(r["seconds"] for r in records)
    seeds = ", ".join("none (nothing random)" if r["seed"] is None else str(r["seed"]) for r in records)
    dates = sorted(r.get("finished", r["started"])[:10] for r in records)
    machines = sorted({r["machine"] for r in records})
    quick = " (*quick*)" if records[0]["quick"] else ""
    return (f"| {reproduction.name}{quick} | {len(records)} | {seeds} | {duration(seconds)} | {'; '.join(machines)} | "
            f"{records[0]['mode']}, {records[0]['floatX']}, PyTensor {records[0]['pytensor']} | "
            f"{dates[0]}{' to ' + dates[-1] if dates[-1] != dates[0] else ''} | `{records[0]['command']}` | "
            f"{reproduction.data} |")


def duration(seconds):
    return "%.1f min" % (seconds / 60) if seconds >= 60 else "%.1f s" % seconds


def write_report(reproductions, records, path):
    """Write REPRODUCTION.md from the kept records, with a figure per tutorial and the runs' own figures beside it."""
    path = Path(path)
    figures_dir = path.parent / "reproduction"
    lines = ["# Reproduction of the published figures", "",
             "Written by `make reproduce` (`python -m bench.reproduce`) from the records of its runs in",
             "`reproduction/records/`; do not edit by hand. Published figures are those of the tutorial's own pages",
             f"({DOCS}, sources in lisa-lab/DeepLearningTutorials `doc/*.txt`) or of the reference texts in",
             "`../shared/reference/`. Each tutorial ran with N seeds, the original's first: *original seed* is that",
             "run's value, then the mean ± the sample standard deviation and the range over the N runs; *in range*",
             "says whether the published value lies between our smallest and largest (it needs N of 2 or more).",
             "Runs marked *quick* used `QUICK=1` (fewer epochs): they show that the tutorial runs end to end, not",
             "the published numbers. `make reproduce SEEDS=5` adds the seeds that have no record yet.", "",
             "| tutorial | figure | published | original seed | mean ± sd | range | N | in range |",
             "|---|---|---|---|---|---|---|---|"]
    runs = ["| tutorial | runs | seeds | median time a run | machine | mode, floatX | dates | a run's call | data |",
            "|---|---|---|---|---|---|---|---|---|"]
    sources = ["| tutorial | published, as reported | published time, hardware | source |", "|---|---|---|---|"]
    figure_lines = []
    for reproduction in reproductions:
        sources.append(f"| {reproduction.name} | {reproduction.published} | {reproduction.published_time} | "
                       f"{reproduction.source} |")
        kept = records_of(records, reproduction.name)
        if not kept:
            runs.append(f"| {reproduction.name} | 0 (no run recorded yet) | | | | | | "
                        f"`make reproduce ARGS=\"--only {reproduction.name}\"` | {reproduction.data} |")
            continue
        lines += statistics_rows(reproduction, kept)
        runs.append(runs_row(reproduction, kept))
        seeds_png = figures_dir / reproduction.name / "seeds.png"
        seeds_figure(reproduction, kept, seeds_png)
        figure_lines.append(f"- {reproduction.name}: the runs' values by seed, the published value dashed\n"
                            f"  ![{reproduction.name} seeds]({seeds_png.relative_to(path.parent)})")
        folder = Path(kept[0]["results"].get("folder", ""))
        for name in reproduction.figures:
            target = figures_dir / reproduction.name / name
            if (folder / name).exists():  # the run folders stay on the machine that made them
                shutil.copyfile(folder / name, target)
            if target.exists():  # copied now, or kept in the repository from the machine that ran it
                figure_lines.append(f"- {reproduction.name}, seed {kept[0]['seed']}, `{name}`:\n"
                                    f"  ![{reproduction.name} {name}]({target.relative_to(path.parent)})")
    lines += ["", "## The runs", ""] + runs + ["", "## What was published", ""] + sources
    lines += ["", "## Figures", ""] + (figure_lines or ["(none yet)"])
    with atomic_write(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")
