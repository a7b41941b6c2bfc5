"""The RNN-RBM: piano-rolls to and from MIDI, its recurrence and gradient, and its entry point on tiny pieces."""

import json

import numpy
import pytensor.tensor as pt
import pytest
from pytensor.graph import graph_replace

from dltutorial import rnnrbm
from dltutorial.core.compile import compile_function
from dltutorial.core.data import DataError
from dltutorial.core.errors import ArgumentError
from dltutorial.core.midi import bach_chorales, midi_files, midiread, midiwrite

from dltutorial.core.tiny_data import write_music_folder

from .bounds import assert_within, trajectory_rtol


def test_a_piano_roll_survives_midi_both_ways(tmp_path):
    """Notes held over several frames, repeated notes, the range's two ends: all come back as written."""
    roll = numpy.zeros((12, 88))
    roll[0:5, 0] = 1  # the lowest key, held
    roll[2:3, 87] = roll[4:6, 87] = 1  # the highest, struck twice
    roll[6:12, 40] = 1  # held to the end
    midiwrite(tmp_path / "piece.mid", roll, (21, 109), 0.3)
    numpy.testing.assert_array_equal(midiread(tmp_path / "piece.mid", (21, 109), 0.3).piano_roll, roll)
    # a narrower range keeps its notes only; a halved period doubles every frame
    numpy.testing.assert_array_equal(midiread(tmp_path / "piece.mid", (61, 62), 0.3).piano_roll, roll[:, 40:41])
    numpy.testing.assert_array_equal(midiread(tmp_path / "piece.mid", (21, 109), 0.15).piano_roll,
                                     numpy.repeat(roll, 2, axis=0))


def test_bad_music_data_is_a_one_line_error(tmp_path):
    (tmp_path / "bad.mid").write_bytes(b"not a midi file")
    with pytest.raises(DataError, match=r"bad.mid: not a readable MIDI file \(.*\); remove it"):
        midiread(tmp_path / "bad.mid")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no .mid files in .*empty: give a folder of MIDI files"):
        midi_files(tmp_path / "empty")


def write_silent_piece(folder):
    """A MIDI file whose one instrument plays no notes: no frames at all."""
    import pretty_midi

    silent = pretty_midi.PrettyMIDI()
    silent.instruments.append(pretty_midi.Instrument(program=0))
    silent.write(str(folder / "silent.mid"))


def test_a_training_folder_without_notes_is_the_originals_one_line_error(tmp_path):
    """Pieces without notes are left out (the entry-point test below has some); none left: the original's error."""
    (tmp_path / "music" / "train").mkdir(parents=True)
    write_silent_piece(tmp_path / "music" / "train")
    with pytest.raises(ArgumentError, match=r"^Training set is empty! \(did you download the data files\?\)$"):
        rnnrbm.test_rnnrbm(num_epochs=1, dataset=tmp_path / "music", n_hidden=5, n_hidden_recurrent=3,
                           output_folder=tmp_path / "run", floatX="float64")


def test_the_bach_chorales_become_crotchet_frames(tmp_path):
    """Four voices, one frame a crotchet: as many frames as the score has crotchets."""
    from music21 import converter

    folder = bach_chorales(tmp_path / "chorales", limit=6)
    train, test = midi_files(folder / "train"), midi_files(folder / "test")
    assert len(test) == 1 and len(train) >= 3  # bwv1.6 has a horn's part too: left out
    for path in train + test:
        roll = midiread(path, (21, 109), 0.3).piano_roll
        voices = roll.sum(axis=1)
        assert voices.max() == 4 and numpy.median(voices) == 4  # most crotchets sound all four voices
        assert len(roll) == round(converter.parse(path).highestTime)
    assert bach_chorales(folder, limit=6) == folder and midi_files(folder / "train") == train  # written once


def small_model(mode=None):
    return rnnrbm.build_rnnrbm(12, 7, 5, numpy_rng=numpy.random.RandomState(3), mode=mode)


def test_the_recurrence_gives_the_biases_of_each_frame(float64):
    """bv(t) = bv + Wuv u(t-1), bh(t) = bh + Wuh u(t-1), u(t) = tanh(bu + Wuu u(t-1) + Wvu v(t)), by hand."""
    _, _, _, _, params, _, _, _ = small_model()
    for param in params[1:3] + params[7:]:  # biases away from 0, so that they count
        param.set_value(numpy.random.RandomState(4).uniform(-1, 1, param.get_value().shape))
    for param in params[3:7]:
        param.set_value(param.get_value() * 1000)
    v = pt.matrix("v")
    (u_t, bv_t, bh_t), _ = rnnrbm.frame_biases(v, params)
    piece = (numpy.random.RandomState(5).rand(6, 12) < 0.3).astype("float64")
    got = compile_function([v], [u_t, bv_t, bh_t])(piece)
    W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu = (p.get_value() for p in params)
    u = numpy.zeros(5)
    for t, frame in enumerate(piece):
        # t steps of the recurrence (5- and 12-term products and a tanh each), then one 5-term product and a sum
        rtol = trajectory_rtol(t + 1, (5, 12), "float64")
        for got_bias, bias, weights in ((got[1][t], bv, Wuv), (got[2][t], bh, Wuh)):
            assert_within(got_bias, bias + u @ weights, rtol * (abs(bias) + abs(u) @ abs(weights)), "biases")
        u = numpy.tanh(bu + u @ Wuu + frame @ Wvu)
        assert_within(got[0][t], u, rtol * (abs(u) + abs(u).max()), "u")


def test_the_cd_gradient_holds_the_negative_particles_constant(float64):
    """The gradient the tutorial takes (``consider_constant=[v_sample]``) is the free-energy difference's
    gradient with the chain's sample as a given input, and that one matches finite differences through
    the recurrence (every parameter, the RNN's included)."""
    v, v_sample, cost, monitor, params, updates, _, _ = small_model()
    for param in params[3:7]:
        param.set_value(param.get_value() * 1000)
    piece = (numpy.random.RandomState(6).rand(8, 12) < 0.3).astype("float64")
    sampled = compile_function([v], [v_sample, *pt.grad(cost, list(params), consider_constant=[v_sample])],
                                updates=updates)(piece)
    negatives = pt.matrix("negatives")
    fixed_cost = graph_replace(cost, {v_sample: negatives})
    fixed = compile_function([v, negatives], [fixed_cost, *pt.grad(fixed_cost, list(params))])
    values = fixed(piece, sampled[0])
    # two graphs for one gradient: 8 frames' recurrence forward and back, relative to each gradient's scale
    rtol = trajectory_rtol(2 * 8, (12, 5, 12, 10), "float64")
    for ours, theirs in zip(sampled[1:], values[1:]):
        assert_within(ours, theirs, rtol * (abs(theirs) + abs(theirs).max()), "gradient")
    rng = numpy.random.RandomState(7)
    for param, gradient in zip(params, values[1:]):
        original = param.get_value()
        for _ in range(3):
            index = tuple(rng.randint(n) for n in original.shape)
            def central_difference(step):
                costs = []
                for sign in (1, -1):
                    moved = original.copy()
                    moved[index] += sign * step
                    param.set_value(moved)
                    costs.append(fixed(piece, sampled[0])[0])
                param.set_value(original)
                return (costs[0] - costs[1]) / (2 * step), max(map(abs, costs))

            numeric, size = central_difference(1e-6)
            # rounding: each cost within gamma_n of exact (the recurrence's chain), divided by 2 h; truncation
            # (h^2 / 6 times the third derivative): a third of how far the difference moves when h doubles
            rounding = 2 * trajectory_rtol(2 * 8, (12, 5, 12, 10), "float64") * size / 2e-6
            truncation = abs(numeric - central_difference(2e-6)[0]) / 3
            assert_within(gradient[index], numeric, 2 * (rounding + truncation), param.name)


def test_frame_accuracy_counts_true_positives_against_all_errors():
    truth = numpy.array([[1, 1, 0, 0], [0, 1, 1, 0]])
    prediction = numpy.array([[1, 0, 1, 0], [0, 1, 1, 0]])  # 3 true positives, 1 false positive, 1 miss
    assert rnnrbm.frame_accuracy(prediction, truth) == 3 / 5
    assert rnnrbm.frame_accuracy(numpy.zeros((2, 4)), numpy.zeros((2, 4))) == 1.0


def run(tmp_path, folder="run", **settings):
    """The entry point on four training and two held-out chord progressions, plus a silent piece in each folder."""
    music = write_music_folder(tmp_path / "music")
    for split in ("train", "test"):
        write_silent_piece(music / split)
    arguments = dict(batch_size=10, num_epochs=8, dataset=music, n_hidden=20, n_hidden_recurrent=10, lr=0.1,
                     output_folder=tmp_path / folder, floatX="float64")
    return rnnrbm.test_rnnrbm(**{**arguments, **settings})


@pytest.mark.training
def test_the_entry_point_learns_the_progression_and_writes_its_samples(tmp_path, capsys):
    record = run(tmp_path)
    out = capsys.readouterr().out
    assert "Epoch 1/8\n" in out and "Epoch 8/8\n" in out and "held-out pieces: 2" in out
    monitor = record["train_monitor"]
    assert len(monitor) == 8 and monitor[-1] > monitor[0] + 10  # the pseudo log-likelihood rises
    # predicting each held-out frame from its history: untrained, half of the 88 notes come on at random
    untrained = run(tmp_path, "untrained", num_epochs=0, n_samples=1)
    assert untrained["test_frame_accuracy"] < 10 < 25 < record["test_frame_accuracy"]
    assert record["n_test_pieces"] == 2  # the silent one left out (and the silent training piece did not stop it)
    for i in (1, 2):
        midi, png = tmp_path / "run" / f"sample{i}.mid", tmp_path / "run" / f"sample{i}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        roll = midiread(midi, (21, 109), 0.3).piano_roll
        assert 0 < len(roll) <= 200 and roll.sum() > 0
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["status"] == "done" and saved["test_frame_accuracy"] == record["test_frame_accuracy"]


def test_generate_writes_the_sequence_it_returns(tmp_path, float64):
    model = rnnrbm.RnnRbm(n_hidden=6, n_hidden_recurrent=4, r=(60, 72))
    model.params[1].set_value(numpy.full(12, 0.5))  # notes on more often than not
    roll = model.generate(str(tmp_path / "g.mid"), show=False)
    assert roll.shape == (200, 12) and set(numpy.unique(roll)) == {0.0, 1.0}
    read = midiread(tmp_path / "g.mid", (60, 72), 0.3).piano_roll
    numpy.testing.assert_array_equal(read, roll[:len(read)])
    assert not roll[len(read):].any() and not (tmp_path / "g.png").exists()


class InterruptAt:
    """A compiled training function that raises KeyboardInterrupt (Ctrl-C) at its ``n``-th call."""

    def __init__(self, fn, n):
        self.fn, self.calls, self.n = fn, 0, n

    def __call__(self, *args):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return self.fn(*args)


@pytest.mark.resume
def test_an_interrupted_run_resumes_after_its_last_epoch(tmp_path, monkeypatch, capsys):
    reference = run(tmp_path, "uninterrupted", num_epochs=3)
    compile_function = rnnrbm.compile_function

    def interrupted_training(*args, **kwargs):  # 16 steps an epoch: Ctrl-C in the second
        fn = compile_function(*args, **kwargs)
        return InterruptAt(fn, 20) if kwargs.get("name") == "train_function" else fn

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(rnnrbm, "compile_function", interrupted_training)
        run(tmp_path, "resumed", num_epochs=3)
    assert "Interrupted by user." in capsys.readouterr().out
    assert json.loads((tmp_path / "resumed" / "results.json").read_text())["status"] == "interrupted"
    resumed = run(tmp_path, "resumed", num_epochs=3)
    assert "... resuming after epoch 1" in capsys.readouterr().out and resumed["status"] == "done"
    for key in ("train_monitor", "test_monitor", "test_frame_accuracy"):
        assert resumed[key] == reference[key], key
