"""The RNN-RBM: polyphonic music as a sequence of RBMs whose biases an RNN writes.

A piece is a piano-roll, one binary frame ``v(t)`` of 88 notes per time
step.  Each frame is drawn from its own RBM, sharing the weights ``W`` but
with biases that depend on the history through the RNN's hidden units
``u(t)`` (Boulanger-Lewandowski, Bengio and Vincent, 2012)::

    bv(t) = bv + Wuv u(t-1)        bh(t) = bh + Wuh u(t-1)
    u(t)  = tanh(bu + Wuu u(t-1) + Wvu v(t))

Training: given a sequence, the recurrence is deterministic, so all the
``bv(t), bh(t)`` are computed first and the T conditional RBMs are trained
together, like a minibatch, by CD-15; the CD cost's gradient flows into the
RNN's weights through the biases.  Generation: each frame is sampled by a
25-step Gibbs chain of its RBM, then fed to the recurrence.

The functions and :class:`RnnRbm` keep the original's names, arguments and
defaults.  The original drew every random number from numpy's global
generator seeded ``0xbeef`` and one MRG stream seeded from it; here one
``numpy.random.RandomState(seed)`` (``seed=0xbeef``) plays the global
generator's part, in the same order, and is handed down.
:func:`test_rnnrbm` trains on the Nottingham MIDI files when the user has
them, else on music21's Bach chorales (:mod:`dltutorial.core.midi`).
"""

import sys
import timeit
from pathlib import Path

import numpy
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.special import xlogy

from .core.checkpoints import resume_loop
from .core.compile import compile_function
from .core.data import data_dir
from .core.errors import ArgumentError
from .core.midi import bach_chorales, midi_files, midiread, midiwrite
from .core.modes import compile_mode
from .core.plots import save_piano_roll
from .core.random_init import random_stream
from .core.runs import Run

SEED = 0xbeef  # the original's numpy.random.seed(0xbeef)


def mrg_stream(numpy_rng):
    """The original's ``RandomStreams(seed=numpy.random.randint(1 << 30))``, drawn from ``numpy_rng``."""
    return random_stream(int(numpy_rng.randint(1 << 30)))


# start-snippet-1
def build_rbm(v, W, bv, bh, k, *, theano_rng=None, mode=None):
    """Construct a k-step Gibbs chain starting at ``v`` for an RBM.

    :param v: a frame (vector) or a batch of frames (matrix), one chain each
    :param W: the weight matrix; ``bv``, ``bh``: the visible and hidden
        biases (vectors, or one row per frame of ``v``)
    :param k: length of the Gibbs chain
    :param theano_rng: the MRG stream the chain samples from (default: one seeded as the original's)
    :param mode: the compile mode of the chain's scan
    :returns: ``(v_sample, cost, monitor, updates)``: the chain's last
        sample; the cost whose gradient (``v_sample`` held constant) is the
        CD-k estimate of the log-likelihood gradient, averaged over the
        frames; the pseudo log-likelihood of ``v`` given the sample's mean
        (averaged); the scan's updates
    """
    theano_rng = theano_rng or mrg_stream(numpy.random.RandomState(SEED))

    def gibbs_step(v):
        mean_h = pt.sigmoid(pt.dot(v, W) + bh)
        h = theano_rng.binomial(size=mean_h.shape, n=1, p=mean_h, dtype=pytensor.config.floatX)
        mean_v = pt.sigmoid(pt.dot(h, W.T) + bv)
        v = theano_rng.binomial(size=mean_v.shape, n=1, p=mean_v, dtype=pytensor.config.floatX)
        return mean_v, v

    chain, updates = pytensor.scan(lambda v: gibbs_step(v)[1], outputs_info=[v], n_steps=k, mode=compile_mode(mode))
    v_sample = chain[-1]

    mean_v = gibbs_step(v_sample)[0]
    monitor = xlogy(v, mean_v) + xlogy(1 - v, 1 - mean_v)
    monitor = monitor.sum() / v.shape[0]

    def free_energy(v):
        return -(v * bv).sum() - pt.log(1 + pt.exp(pt.dot(v, W) + bh)).sum()

    cost = (free_energy(v) - free_energy(v_sample)) / v.shape[0]
    return v_sample, cost, monitor, updates
# end-snippet-1


def shared_normal(num_rows, num_cols, scale=1, *, rng=None):
    """A shared matrix of normal draws (mean 0, deviation ``scale``) from ``rng`` (default: numpy's global one)."""
    rng = rng or numpy.random
    return pytensor.shared(rng.normal(scale=scale, size=(num_rows, num_cols)).astype(pytensor.config.floatX))


def shared_zeros(*shape):
    """A shared array of zeros in floatX."""
    return pytensor.shared(numpy.zeros(shape, dtype=pytensor.config.floatX))


# start-snippet-2
def recurrence(v_t, u_tm1, params, *, theano_rng=None, mode=None):
    """One time step of the RNN-RBM: the biases of frame t's RBM from ``u(t-1)``, then ``u(t)``.

    Given ``v_t``, the step is deterministic and returns ``[u_t, bv_t,
    bh_t]``.  With ``v_t`` None it generates: ``v_t`` is sampled by a
    25-step Gibbs chain of the frame's RBM, and the step returns
    ``([v_t, u_t], updates)``.
    """
    W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu = params
    bv_t = bv + pt.dot(u_tm1, Wuv)
    bh_t = bh + pt.dot(u_tm1, Wuh)
    generate = v_t is None
    if generate:
        v_t, _, _, updates = build_rbm(pt.zeros((W.shape[0],)), W, bv_t, bh_t, k=25, theano_rng=theano_rng,
                                       mode=mode)
    u_t = pt.tanh(bu + pt.dot(v_t, Wvu) + pt.dot(u_tm1, Wuu))
    return ([v_t, u_t], updates) if generate else [u_t, bv_t, bh_t]


def frame_biases(v, params, *, mode=None):
    """The deterministic recurrence over a given sequence ``v``: ``(u_t, bv_t, bh_t)`` for every frame, and the updates."""
    u0 = pt.zeros((params[-1].get_value().shape[0],))  # initial value for the RNN hidden units
    return pytensor.scan(lambda v_t, u_tm1, *_: recurrence(v_t, u_tm1, params), sequences=v,
                         outputs_info=[u0, None, None], non_sequences=params, mode=compile_mode(mode))
# end-snippet-2


# start-snippet-3
def build_rnnrbm(n_visible, n_hidden, n_hidden_recurrent, *, numpy_rng=None, theano_rng=None, mode=None):
    """Construct a symbolic RNN-RBM and initialise its parameters.

    :param n_visible: number of visible units (notes of a frame)
    :param n_hidden: number of hidden units of the conditional RBMs
    :param n_hidden_recurrent: number of hidden units of the RNN
    :param numpy_rng: the generator of the initial weights (default: numpy's global one, as the original)
    :param theano_rng: the MRG stream of the Gibbs chains (default: one seeded as the original's)
    :param mode: the compile mode of the scans
    :returns: ``(v, v_sample, cost, monitor, params, updates_train, v_t,
        updates_generate)``: the training sequence (a matrix), the negative
        particles of CD, the cost whose gradient (``v_sample`` held
        constant) is the RNN-RBM's log-likelihood gradient, the frame-level
        pseudo-likelihood, the parameters, the training updates, a
        generated 200-frame sequence and the generation updates
    """
    rng = numpy_rng or numpy.random
    W = shared_normal(n_visible, n_hidden, 0.01, rng=rng)
    bv = shared_zeros(n_visible)
    bh = shared_zeros(n_hidden)
    Wuh = shared_normal(n_hidden_recurrent, n_hidden, 0.0001, rng=rng)
    Wuv = shared_normal(n_hidden_recurrent, n_visible, 0.0001, rng=rng)
    Wvu = shared_normal(n_visible, n_hidden_recurrent, 0.0001, rng=rng)
    Wuu = shared_normal(n_hidden_recurrent, n_hidden_recurrent, 0.0001, rng=rng)
    bu = shared_zeros(n_hidden_recurrent)
    params = W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu  # learned parameters as shared variables
    for param, name in zip(params, ("W", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu")):
        param.name = name
    theano_rng = theano_rng or mrg_stream(numpy.random.RandomState(SEED))

    v = pt.matrix("v")  # a training sequence
    u0 = pt.zeros((n_hidden_recurrent,))  # initial value for the RNN hidden units

    # For training, the deterministic recurrence gives all the {bv_t, bh_t, 1 <= t <= T} of v;
    # the conditional RBMs are then trained together, one frame each, like a minibatch.
    (u_t, bv_t, bh_t), updates_train = frame_biases(v, params, mode=mode)
    v_sample, cost, monitor, updates_rbm = build_rbm(v, W, bv_t[:], bh_t[:], k=15, theano_rng=theano_rng, mode=mode)
    updates_train.update(updates_rbm)

    # symbolic loop for sequence generation
    (v_t, u_t), updates_generate = pytensor.scan(
        lambda u_tm1, *_: recurrence(None, u_tm1, params, theano_rng=theano_rng, mode=mode),
        outputs_info=[None, u0], non_sequences=params, n_steps=200, mode=compile_mode(mode))
    return v, v_sample, cost, monitor, params, updates_train, v_t, updates_generate
# end-snippet-3


def frame_accuracy(prediction, truth):
    """The frame-level accuracy of Bay et al. (2009): ``TP / (TP + FP + FN)`` over all frames and notes."""
    prediction, truth = numpy.asarray(prediction) > 0.5, numpy.asarray(truth) > 0.5
    true_positives = numpy.sum(prediction & truth)
    errors = numpy.sum(prediction != truth)
    return float(true_positives / (true_positives + errors)) if true_positives + errors else 1.0


# start-snippet-4
class RnnRbm:
    """Simple class to train an RNN-RBM from MIDI files and to generate sample sequences."""

    def __init__(self, n_hidden=150, n_hidden_recurrent=100, lr=0.001, r=(21, 109), dt=0.3, *, seed=SEED,
                 mode=None):
        """Construct and compile the functions for training, evaluation and sequence generation.

        :param n_hidden: number of hidden units of the conditional RBMs
        :param n_hidden_recurrent: number of hidden units of the RNN
        :param lr: learning rate
        :param r: the pitch range of the piano-roll in MIDI note numbers,
            ``r[0]`` included, ``r[1]`` not: ``r[1] - r[0]`` visible units
            per time step; (21, 109) is the piano's 88 keys
        :param dt: sampling period when converting MIDI files into
            piano-rolls: the time between consecutive time steps (seconds)
        :param seed: seeds the generator that plays the original's global
            numpy generator (the MRG stream's seed, the weights, the shuffles)
        :param mode: the compile mode of every function
        """
        self.r = r
        self.dt = dt
        self.numpy_rng = numpy.random.RandomState(seed)
        theano_rng = mrg_stream(self.numpy_rng)
        (v, v_sample, cost, monitor, params, updates_train, v_t,
         updates_generate) = build_rnnrbm(r[1] - r[0], n_hidden, n_hidden_recurrent, numpy_rng=self.numpy_rng,
                                          theano_rng=theano_rng, mode=mode)
        self.params = params

        gradient = pt.grad(cost, params, consider_constant=[v_sample])
        updates_train.update((p, p - lr * g) for p, g in zip(params, gradient))
        self.train_function = compile_function([v], monitor, updates=updates_train, name="train_function", mode=mode)
        self.generate_function = compile_function([], v_t, updates=updates_generate, name="generate_function",
                                                  mode=mode)

        # Each frame of a held-out piece predicted from its true history: the frame's RBM sampled by the
        # generation's 25-step chain (what the paper's accuracy measures); the monitor as in training.
        (_, bv_t, bh_t), _ = frame_biases(v, params, mode=mode)
        predicted, _, _, _ = build_rbm(pt.zeros_like(v), params[0], bv_t, bh_t, k=25, theano_rng=theano_rng,
                                       mode=mode)
        self.evaluate_function = compile_function([v], [monitor, predicted], name="evaluate_function", mode=mode)
    # end-snippet-4

    def read(self, files):
        """The piano-rolls of the MIDI ``files``, in floatX; a file without notes (no frames) is left out."""
        return piano_rolls(files, self.r, self.dt)

    # start-snippet-5
    def train(self, files, batch_size=100, num_epochs=200, *, on_epoch_end=None, first_epoch=0, order=None):
        """Train the RNN-RBM by SGD on the piano-rolls of the MIDI ``files``; return each epoch's mean monitor.

        :param files: the MIDI files to train on
        :param batch_size: training sequences are split into subsequences of
            at most this many frames, one SGD update each
        :param num_epochs: number of passes over the training set; Ctrl-C
            stops training at any time (the finished epochs are saved by ``on_epoch_end``)
        :param on_epoch_end: called with the epoch's number (from 1), its mean monitor and the pieces' order
            after each epoch (checkpoints)
        :param first_epoch: the number of epochs already done (a resumed run)
        :param order: the pieces' order, shuffled in place every epoch as the
            original shuffled its list (default: the files' order); a resumed
            run passes the one it saved
        """
        dataset = self.read(files)
        if not dataset:
            raise ArgumentError("Training set is empty! (did you download the data files?)")
        order = list(range(len(dataset))) if order is None else order
        monitors = []
        try:
            for epoch in range(first_epoch, num_epochs):
                self.numpy_rng.shuffle(order)
                costs = []

                for sequence in (dataset[i] for i in order):
                    for i in range(0, len(sequence), batch_size):
                        cost = self.train_function(sequence[i:i + batch_size])
                        costs.append(cost)

                print("Epoch %i/%i" % (epoch + 1, num_epochs))
                print(numpy.mean(costs))
                sys.stdout.flush()
                monitors.append(float(numpy.mean(costs)))
                if on_epoch_end is not None:
                    on_epoch_end(epoch + 1, monitors[-1], order)

        except KeyboardInterrupt:
            print("Interrupted by user.")
            raise  # the run ends interrupted, as every tutorial's: run it again in its folder to go on
        return monitors
    # end-snippet-5

    def evaluate(self, files):
        """``(mean monitor, frame accuracy, pieces scored)`` of next-frame prediction on the MIDI ``files``.

        None when no file has a frame to score.
        """
        pieces = self.read(files)
        if not pieces:
            return None
        monitors, predictions, truths = [], [], []
        for sequence in pieces:
            monitor, predicted = self.evaluate_function(sequence)
            monitors.append(monitor)
            predictions.append(predicted)
            truths.append(sequence)
        return (float(numpy.mean(monitors)), frame_accuracy(numpy.vstack(predictions), numpy.vstack(truths)),
                len(pieces))

    # start-snippet-6
    def generate(self, filename, show=True):
        """Generate a 200-frame sequence and write it to the MIDI file ``filename``.

        :param show: also draw the piano-roll into a PNG beside the MIDI file
            (``filename`` with ``.png``); the original showed it with pylab
        """
        piano_roll = self.generate_function()
        midiwrite(filename, piano_roll, self.r, self.dt)
        if show:
            save_piano_roll(piano_roll, Path(filename).with_suffix(".png"), self.r, self.dt)
        return piano_roll
    # end-snippet-6


def piano_rolls(files, r=(21, 109), dt=0.3):
    """The piano-rolls of the MIDI ``files`` (pitches ``r``, a frame every ``dt`` seconds) in floatX, those without
    notes left out."""
    rolls = (midiread(f, r, dt).piano_roll.astype(pytensor.config.floatX) for f in files)
    return [roll for roll in rolls if len(roll)]


def find_music(dataset):
    """The folder of ``train`` (and ``test``) MIDI files: the one given, else Nottingham, else the Bach chorales."""
    if dataset is not None:
        return Path(dataset)
    nottingham = data_dir() / "Nottingham"
    return nottingham if (nottingham / "train").is_dir() else bach_chorales()


def test_rnnrbm(batch_size=100, num_epochs=200, *, dataset=None, n_hidden=150, n_hidden_recurrent=100, lr=0.001,
                dt=0.3, n_samples=2, seed=SEED, output_folder=None, mode=None, floatX="float32"):
    """Train an RNN-RBM on a folder of MIDI pieces, score the held-out ones, generate samples; return the run's record.

    :param dataset: a folder with ``train/*.mid`` (and ``test/*.mid``, the
        held-out pieces); default: ``data/Nottingham`` when it is there (the
        original's data), else music21's Bach chorales written to
        ``data/bach_chorales`` (a minute, once)
    :param n_samples: pieces generated at the end, ``sample<i>.mid`` and ``.png`` (the original wrote two)
    :param seed: plays the original's ``numpy.random.seed(0xbeef)``: the weights, the shuffles and the MRG
        stream's seed all come from it (:class:`RnnRbm`)
    :param output_folder: the run's folder (default: a new ``runs/rnnrbm-<timestamp>/``); the folder
        of an interrupted run resumes after its last finished epoch
    """
    with Run("rnnrbm", dict(batch_size=batch_size, num_epochs=num_epochs, dataset=dataset, n_hidden=n_hidden,
                            n_hidden_recurrent=n_hidden_recurrent, lr=lr, dt=dt, n_samples=n_samples, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        folder = find_music(dataset)
        train_files = midi_files(folder / "train")
        test_files = midi_files(folder / "test") if (folder / "test").is_dir() else []
        if not any(piano_rolls([f], dt=dt) for f in train_files):  # before compiling; stops at a piece with notes
            too_long = dt > 0.3 and any(piano_rolls([f], dt=0.3) for f in train_files)
            raise ArgumentError("Training set is empty! (did you download the data files?)" + (
                f": no piece in {folder / 'train'} lasts a frame of dt={dt} s; lower --dt (the original's is 0.3)"
                if too_long else ""))
        piano_rolls(test_files, dt=dt)  # a held-out piece that cannot be read stops the run now, not after training
        model = RnnRbm(n_hidden, n_hidden_recurrent, lr, dt=dt, seed=seed, mode=run.mode)
        checkpoint, saved = resume_loop(run.checkpoint("training"), [model.train_function],
                                        {"epoch": 0, "monitors": [], "order": None,
                                         "numpy_rng": model.numpy_rng.get_state()})
        first_epoch, monitors, order = saved["epoch"], saved["monitors"], saved["order"]
        model.numpy_rng.set_state(saved["numpy_rng"])

        def save_epoch(epoch, monitor, order):
            monitors.append(monitor)
            checkpoint.save({"epoch": epoch, "monitors": monitors, "order": order,
                             "numpy_rng": model.numpy_rng.get_state()})

        start_time = timeit.default_timer()
        model.train(train_files, batch_size=batch_size, num_epochs=num_epochs, on_epoch_end=save_epoch,
                    first_epoch=first_epoch, order=order)
        run.record.update(dataset=str(folder), n_train_pieces=len(train_files), train_monitor=monitors,
                          training_seconds=timeit.default_timer() - start_time)
        scores = model.evaluate(test_files)
        if scores is not None:
            test_monitor, accuracy, n_pieces = scores
            print("held-out pieces: %i, monitor %f, frame accuracy %.2f %%" % (n_pieces, test_monitor, 100 * accuracy))
            run.record.update(n_test_pieces=n_pieces, test_monitor=test_monitor,
                              test_frame_accuracy=100 * accuracy)
        for i in range(1, n_samples + 1):
            model.generate(str(run.path("sample%i.mid" % i)))
        print("The samples are in", run.folder)
    return run.record


test_rnnrbm.__test__ = False  # the tutorial's entry point, not a pytest test
