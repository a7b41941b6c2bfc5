"""Piano-rolls: MIDI files read into 0/1 matrices (one row per time step) and written back.

A piano-roll samples a piece every ``dt`` seconds: row ``t`` holds a 1 for
each MIDI note in the range ``r = (low, high)`` (``high`` excluded) that
sounds at time ``t * dt``.  The RNN-RBM tutorial reads its training pieces
this way and writes what it generates back to MIDI.  Reading and writing go
through pretty-midi; the Bach chorales come from music21's corpus.

The original read the Nottingham folk tunes (``Nottingham/train/*.mid``),
which a user with them can still give.  Without them, :func:`bach_chorales`
writes music21's Bach chorales as MIDI files once, at 200 crotchets per
minute: with the default ``dt = 0.3`` s that is one frame per crotchet, the
resolution of the JSB Chorales set of the RNN-RBM paper.

pretty-midi and music21 are imported where they are used: the command line
and the other tutorials start without them.
"""

import os
import random
import shutil
from pathlib import Path

import numpy

from .data import DataError, data_dir
from .files import atomic_write

CHORALE_TEMPO = 200  # crotchets per minute: 0.3 s per crotchet
HELD_OUT = 0.2  # the share of the chorales kept for the test split


class PianoRoll:
    """A piece read by :func:`midiread`: ``piano_roll`` is (frames x notes) of 0/1 (the original's object)."""

    def __init__(self, piano_roll):
        self.piano_roll = piano_roll


def midiread(filename, r=(21, 109), dt=0.2):
    """Read a MIDI file into a :class:`PianoRoll` of the notes ``r[0] <= note < r[1]``, one row every ``dt`` s.

    A note fills the frames from its start to its end, both rounded to the
    nearest frame: times that fall on the grid (a crotchet of the chorales)
    stay on it whatever the floating-point error of ``start / dt``.
    """
    import pretty_midi

    try:
        piece = pretty_midi.PrettyMIDI(str(filename))
    except Exception as error:  # pretty-midi and mido raise many kinds for a file they cannot parse
        raise DataError(f"{filename}: not a readable MIDI file ({type(error).__name__}: {error}); "
                        "remove it from the folder or replace it") from None
    roll = numpy.zeros((int(round(piece.get_end_time() / dt)), r[1] - r[0]))
    for instrument in piece.instruments:
        for note in instrument.notes if not instrument.is_drum else ():
            if r[0] <= note.pitch < r[1]:
                roll[int(round(note.start / dt)):int(round(note.end / dt)), note.pitch - r[0]] = 1
    return PianoRoll(roll)


def midiwrite(filename, piano_roll, r=(21, 109), dt=0.2):
    """Write a (frames x notes) 0/1 piano-roll as a one-piano MIDI file (atomically): a note per run of 1s."""
    import pretty_midi

    piece = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    padded = numpy.vstack([numpy.zeros((1, piano_roll.shape[1])), numpy.asarray(piano_roll) > 0.5,
                           numpy.zeros((1, piano_roll.shape[1]))]).astype(int)
    for column in range(piano_roll.shape[1]):
        changes = numpy.flatnonzero(numpy.diff(padded[:, column]))  # starts and ends of the runs, in turn
        for start, end in zip(changes[::2], changes[1::2]):
            piano.notes.append(pretty_midi.Note(velocity=90, pitch=r[0] + column, start=start * dt, end=end * dt))
    piece.instruments.append(piano)
    with atomic_write(filename) as f:
        piece.write(f)


def midi_files(folder):
    """The ``.mid`` files of ``folder``, sorted; a one-line error when there are none."""
    files = sorted(str(path) for path in Path(folder).glob("*.mid"))
    if not files:
        raise DataError(f"no .mid files in {folder}: give a folder of MIDI files (see data/README.md), or leave "
                        "the dataset out to use the Bach chorales")
    return files


def bach_chorales(folder=None, limit=None):
    """Write music21's Bach chorales as MIDI files into ``folder/train`` and ``folder/test`` (once); return ``folder``.

    ``folder`` defaults to ``bach_chorales/`` in the data folder (:func:`dltutorial.core.data.data_dir`).

    The four-part chorales are split at random (seed 0), a fifth held out
    for the test split.  ``limit`` keeps only the first chorales of the corpus (tests).
    A folder that already holds both splits is used as it is.  The splits are
    written into a folder of their own, renamed to ``folder`` when whole: an
    interrupted write leaves no half set behind, and of runs that write at
    once (``make reproduce``'s workers) the first to finish wins.
    """
    folder = Path(folder) if folder else data_dir() / "bach_chorales"
    if _has_both_splits(folder):
        return folder
    try:
        from music21 import corpus, tempo
    except ImportError:
        raise DataError("the Bach chorales come from music21: pip install music21 (or give a folder of MIDI "
                        "files)") from None
    from tqdm import tqdm

    paths = [path for path in corpus.getComposer("bach") if path.name.startswith("bwv") and path.suffix == ".mxl"]
    paths = sorted(paths)[:limit]
    random.Random(0).shuffle(paths)
    n_test = max(1, int(round(HELD_OUT * len(paths))))
    building = folder.with_name(f".{folder.name}.{os.getpid()}.part")
    for split, part in (("test", paths[:n_test]), ("train", paths[n_test:])):
        (building / split).mkdir(parents=True, exist_ok=True)
        for path in tqdm(part, desc=f"Bach chorales ({split})", unit="chorale", leave=False):
            score = corpus.parse(path)
            if len(score.parts) != 4:  # a few have an instrument's part too: the JSB set is the four voices
                continue
            for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
                mark.activeSite.remove(mark)
            score.insert(0, tempo.MetronomeMark(number=CHORALE_TEMPO))
            shutil.move(score.write("midi"), building / split / (path.stem + ".mid"))
    try:
        os.rename(building, folder)
    except OSError:  # written meanwhile by another process, or a folder with other files in the way
        shutil.rmtree(building)
        if not _has_both_splits(folder):
            raise DataError(f"{folder} is in the way of the Bach chorales (no train/ and test/ of .mid files): "
                            "move it away, or give a folder of MIDI files") from None
    return folder


def _has_both_splits(folder):
    return all(any((folder / split).glob("*.mid")) for split in ("train", "test"))
