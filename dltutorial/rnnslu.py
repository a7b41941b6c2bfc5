"""Recurrent neural networks with word embeddings for spoken language understanding (slot filling).

Each word of a sentence gets a slot label in IOB form (``B-fromloc.city_name``,
``I-fromloc.city_name``, ``O`` ...).  The Elman network reads, at each word
:math:`t`, a context window of ``cs`` word embeddings concatenated into
:math:`x_t`, and keeps a hidden state:

.. math::
    h_t = \\sigma(x_t W_x + h_{t-1} W_h + b_h), \\qquad
    P(y_t \\mid \\cdot) = \\mathrm{softmax}(h_t W + b)

Training is stochastic gradient descent on one sentence at a time (the mean
negative log-likelihood of its labels), the embeddings included, each
embedding renormalised to unit length after every update.  The learning rate
halves when the validation F1 has not improved for 10 epochs, and training
restarts from the best model.  Performance is the CoNLL chunk F1 of the slots,
as the original computed it with ``conlleval.pl``; we compute it with seqeval's
CoNLL-compatible default mode.

Data: the ATIS folds of the original (``atis.fold0.pkl.gz`` ...
``atis.fold4.pkl.gz``), read from ``$ATISDATA`` or ``data/`` when the user
has them, or a generated slot-filling task of the same form
(``param['data'] = 'synthetic'``), which anyone can run.
"""

import os
import random
import sys
import timeit
from pathlib import Path

import numpy
import pytensor
import pytensor.tensor as pt
from seqeval.metrics import f1_score, precision_score, recall_score

from .core.checkpoints import resume_loop
from .core.compile import compile_function
from .core.data import DataError, data_dir, unpickle
from .core.errors import ArgumentError
from .core.files import atomic_write
from .core.modes import compile_mode
from .core.runs import Run

ATIS_URL = "http://www-etud.iro.umontreal.ca/~mesnilgr/atis/"


def shuffle(lol, seed):
    """Shuffle each list of ``lol`` in place, all in the same order (the same seed for each)."""
    for l in lol:  # noqa: E741 (the original's name)
        random.Random(seed).shuffle(l)


# start-snippet-1
def contextwin(l, win):
    """The context window of ``win`` (odd) word indices around each word of the sentence ``l``.

    Positions past either end of the sentence are -1, the padding
    embedding (the last row of the embedding matrix).
    """
    assert (win % 2) == 1
    assert win >= 1
    l = list(l)  # noqa: E741
    lpadded = win // 2 * [-1] + l + win // 2 * [-1]
    out = [lpadded[i:(i + win)] for i in range(len(l))]
    assert len(out) == len(l)
    return out
# end-snippet-1


def atisfold(fold, folder=None):
    """``(train_set, valid_set, test_set, dicts)`` of ATIS fold ``fold`` (0-4), as the original pickled it.

    Each set is ``(words, named_entities, labels)``, lists of index arrays;
    ``dicts`` maps ``words2idx`` and ``labels2idx``.  Looked up in ``folder``,
    else ``$ATISDATA``, else ``data/``.
    """
    if fold not in range(5):
        raise DataError(f"fold={fold!r}: ATIS has folds 0 to 4")
    folder = Path(folder or os.environ.get("ATISDATA") or data_dir())
    if folder.is_file():
        raise DataError(f"{folder}: a file; give the folder that holds atis.fold0.pkl.gz ... atis.fold4.pkl.gz "
                        "(the fold is --fold)")
    path = folder / f"atis.fold{fold}.pkl.gz"
    if not path.is_file():
        raise DataError(f"{path.name} not found in {folder.resolve()}: download atis.fold0.pkl.gz ... "
                        f"atis.fold4.pkl.gz from {ATIS_URL} into data/ (or set ATISDATA to their folder), "
                        "or use the generated task (--data synthetic)")
    fix = f"download it again from {ATIS_URL}"
    (fold_content,) = unpickle(path, "an ATIS fold", fix)
    if not _is_fold(fold_content):
        raise DataError(f"{path}: not an ATIS fold (three sets of word, named-entity and label sequences, and the "
                        f"dicts words2idx and labels2idx); {fix}")
    return fold_content


def _is_fold(content):
    """True for what an ATIS fold pickles: three (words, entities, labels) sets of equal lengths, and the dicts."""
    if not (isinstance(content, (tuple, list)) and len(content) == 4):
        return False
    *sets, dicts = content
    return (all(isinstance(s, (tuple, list)) and len(s) == 3 and all(isinstance(part, (tuple, list)) for part in s)
                and len({len(part) for part in s}) == 1 for s in sets)
            and isinstance(dicts, dict) and all(isinstance(dicts.get(k), dict) for k in ("words2idx", "labels2idx")))


CITIES = ["boston", "denver", "dallas", "atlanta", "pittsburgh", "baltimore", "oakland", "washington",
          "new york", "san francisco", "salt lake city", "fort worth"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
TEMPLATES = ["show me flights from {from} to {to}", "i want a flight from {from} to {to} on {day}",
             "list the cheapest flights to {to} from {from}", "flights from {from} to {to} on {day} morning",
             "what flights go to {to} on {day}", "i need a ticket from {from} to {to} please"]
SLOTS = {"from": "fromloc.city_name", "to": "toloc.city_name", "day": "depart_date.day_name"}


def synthetic_atis(n_train=400, n_valid=100, n_test=100, rng=None):
    """A generated slot-filling task in ATIS's form: ``(train_set, valid_set, test_set, dicts)``.

    Flight requests made from templates, with cities (some of several words)
    and days in their slots, labelled in IOB form: which city is the origin
    and which the destination only the words around it tell.
    """
    rng = rng or numpy.random.RandomState(345)
    words = sorted({w for t in TEMPLATES for w in t.split() if not w.startswith("{")} |
                   {w for c in CITIES + DAYS for w in c.split()})
    words2idx = {w: i for i, w in enumerate(words)}
    labels = ["O"] + [f"{p}-{s}" for s in SLOTS.values() for p in "BI"]
    labels2idx = {label: i for i, label in enumerate(labels)}

    def sentence():
        tokens, tags = [], []
        for piece in TEMPLATES[rng.randint(len(TEMPLATES))].split():
            slot = piece.strip("{}") if piece.startswith("{") else None
            filler = (DAYS if slot == "day" else CITIES)[rng.randint(len(DAYS if slot == "day" else CITIES))]
            for k, word in enumerate(filler.split() if slot else [piece]):
                tokens.append(words2idx[word])
                tags.append(labels2idx[f"{'BI'[min(k, 1)]}-{SLOTS[slot]}" if slot else "O"])
        return numpy.asarray(tokens, dtype="int32"), numpy.asarray(tags, dtype="int32")

    def split(n):
        pairs = [sentence() for _ in range(n)]
        return [p[0] for p in pairs], [numpy.zeros_like(p[0]) for p in pairs], [p[1] for p in pairs]

    return split(n_train), split(n_valid), split(n_test), {"words2idx": words2idx, "labels2idx": labels2idx}


def conlleval(p, g, w, filename, script_path=None):
    """Precision, recall and F1 (percent) of the predicted slots ``p`` against the truth ``g``.

    Writes the predictions to ``filename`` in the format of ``conlleval.pl``
    (word, truth, prediction; BOS/EOS around each sentence), as the original
    did; the scores come from seqeval's CoNLL-compatible evaluation, rounded
    to two decimals as ``conlleval.pl`` prints them (``script_path`` is
    unused: no Perl is needed).
    """
    out = ""
    for sl, sp, sw in zip(g, p, w):
        out += "BOS O O\n"
        for wl, wp, word in zip(sl, sp, sw):
            out += word + " " + wl + " " + wp + "\n"
        out += "EOS O O\n\n"
    with atomic_write(filename, "w") as f:
        f.write(out)
    scores = {key: float(score(g, p, zero_division=0)) for key, score in
              (("p", precision_score), ("r", recall_score), ("f1", f1_score))}
    return {key: round(100 * value, 2) for key, value in scores.items()}  # 0.00 where nothing was found


# start-snippet-2
class RNNSLU:
    """The Elman network over context windows of word embeddings."""

    def __init__(self, nh, nc, ne, de, cs, *, rng=None, mode=None):
        """
        :param nh: dimension of the hidden layer
        :param nc: number of classes (slot labels)
        :param ne: number of word embeddings in the vocabulary (one more is added for the padding)
        :param de: dimension of the word embeddings
        :param cs: word window context size
        :param rng: numpy RandomState for the initial weights (default: numpy's global one, as the original)
        :param mode: the compile mode of the three functions and the scan
        """
        rng = rng or numpy.random
        floatX = pytensor.config.floatX

        def uniform(shape):
            return pytensor.shared(0.2 * rng.uniform(-1.0, 1.0, shape).astype(floatX))

        self.emb = uniform((ne + 1, de))  # add one for padding at the end
        self.wx = uniform((de * cs, nh))
        self.wh = uniform((nh, nh))
        self.w = uniform((nh, nc))
        self.bh = pytensor.shared(numpy.zeros(nh, dtype=floatX))
        self.b = pytensor.shared(numpy.zeros(nc, dtype=floatX))
        self.h0 = pytensor.shared(numpy.zeros(nh, dtype=floatX))
        for name in ("emb", "wx", "wh", "w", "bh", "b", "h0"):
            getattr(self, name).name = "embeddings" if name == "emb" else name
        self.params = [self.emb, self.wx, self.wh, self.w, self.bh, self.b, self.h0]
        # end-snippet-2
        # start-snippet-3
        idxs = pt.imatrix()  # as many columns as the context window, as many rows as words
        x = self.emb[idxs].reshape((idxs.shape[0], de * cs))
        y_sentence = pt.ivector("y_sentence")  # labels
        # end-snippet-3 start-snippet-4

        def recurrence(x_t, h_tm1):
            h_t = pt.sigmoid(pt.dot(x_t, self.wx) + pt.dot(h_tm1, self.wh) + self.bh)
            s_t = pt.special.softmax(pt.dot(h_t, self.w) + self.b, axis=-1)
            return [h_t, s_t]

        # Theano's softmax made a (1, nc) row of each s_t, hence the original's s[:, 0, :]; PyTensor's keeps a vector
        [h, p_y_given_x_sentence] = pytensor.scan(fn=recurrence, sequences=x, outputs_info=[self.h0, None],
                                                  n_steps=x.shape[0], mode=compile_mode(mode), return_updates=False)
        y_pred = pt.argmax(p_y_given_x_sentence, axis=1)
        # end-snippet-4
        # start-snippet-5
        lr = pt.scalar("lr")
        sentence_nll = -pt.mean(pt.log(p_y_given_x_sentence)[pt.arange(x.shape[0]), y_sentence])
        sentence_gradients = pt.grad(sentence_nll, self.params)
        sentence_updates = [(p, p - lr * g) for p, g in zip(self.params, sentence_gradients)]
        # end-snippet-5
        # start-snippet-6
        self.classify = compile_function([idxs], y_pred, name="classify", mode=mode)
        self.sentence_train = compile_function([idxs, y_sentence, lr], sentence_nll, updates=sentence_updates,
                                               name="sentence_train", mode=mode)
        # end-snippet-6 start-snippet-7
        self.normalize = compile_function(
            [], [], updates=[(self.emb, self.emb / pt.sqrt((self.emb ** 2).sum(axis=1))[:, None])],
            name="normalize", mode=mode)
        # end-snippet-7

    def train(self, x, y, window_size, learning_rate):
        """One SGD step on the sentence ``x`` (word indices) with labels ``y``; then renormalise the embeddings."""
        words = numpy.asarray(contextwin(x, window_size)).astype("int32")
        self.sentence_train(words, numpy.asarray(y, dtype="int32"), learning_rate)
        self.normalize()

    def save(self, folder):
        """One ``<name>.npy`` per parameter in ``folder`` (written atomically)."""
        for param in self.params:
            with atomic_write(os.path.join(folder, param.name + ".npy")) as f:
                numpy.save(f, param.get_value())

    def load(self, folder):
        """Set the parameters from the ``.npy`` files that :meth:`save` wrote."""
        for param in self.params:
            param.set_value(numpy.load(os.path.join(folder, param.name + ".npy")))


DEFAULT_PARAM = {
    "fold": 3,  # 5 folds 0,1,2,3,4
    "data": "atis",  # or "synthetic": the generated task
    "lr": 0.0970806646812754,
    "verbose": 1,
    "decay": True,  # decay on the learning rate if improvement stops
    "win": 7,  # number of words in the context window
    "nhidden": 200,  # number of hidden units
    "seed": 345,
    "emb_dimension": 50,  # dimension of word embedding
    "nepochs": 60,  # 60 is recommended
    "savemodel": False,
}


def main(param=None, *, output_folder=None, mode=None, floatX="float32"):
    """Train the Elman network on an ATIS fold (or the generated task); return the run's record.

    :param param: the original's dict (see ``DEFAULT_PARAM``); missing keys take its values.
        ``data`` is "atis" (the fold ``fold``, see :func:`atisfold`), "synthetic", or a folder
        holding the ATIS folds.
    :param output_folder: the run's folder (default: a new ``runs/rnnslu-<timestamp>/``): the
        conlleval files, the saved model (``savemodel``) and the checkpoint; the folder of an
        interrupted run resumes it after its last finished epoch
    """
    unknown = sorted(set(param or {}) - set(DEFAULT_PARAM))
    if unknown:
        raise ArgumentError(f"param has no setting {', '.join(map(repr, unknown))}: its settings are "
                            f"{', '.join(DEFAULT_PARAM)}")
    param = {**DEFAULT_PARAM, **(param or {})}
    with Run("rnnslu", dict(param), output_folder=output_folder, mode=mode, floatX=floatX) as run:
        print(param)
        folder = str(run.folder)
        if param["data"] == "synthetic":
            train_set, valid_set, test_set, dic = synthetic_atis(rng=numpy.random.RandomState(param["seed"]))
        else:
            train_set, valid_set, test_set, dic = atisfold(param["fold"], None if param["data"] == "atis"
                                                           else param["data"])
        idx2label = {k: v for v, k in dic["labels2idx"].items()}
        idx2word = {k: v for v, k in dic["words2idx"].items()}
        train_lex, train_ne, train_y = (list(s) for s in train_set)
        valid_lex, valid_ne, valid_y = valid_set
        test_lex, test_ne, test_y = test_set
        vocsize = len({int(w) for s in train_lex + list(valid_lex) + list(test_lex) for w in s})
        nclasses = len({int(c) for s in train_y + list(test_y) + list(valid_y) for c in s})
        nsentences = len(train_lex)
        groundtruth_valid = [[idx2label[x] for x in y] for y in valid_y]
        words_valid = [[idx2word[x] for x in w] for w in valid_lex]
        groundtruth_test = [[idx2label[x] for x in y] for y in test_y]
        words_test = [[idx2word[x] for x in w] for w in test_lex]

        # instanciate the model
        rnn = RNNSLU(nh=param["nhidden"], nc=nclasses, ne=vocsize, de=param["emb_dimension"], cs=param["win"],
                     rng=numpy.random.RandomState(param["seed"]), mode=run.mode)

        def predict(lex):
            return [[idx2label[c] for c in rnn.classify(numpy.asarray(contextwin(x, param["win"])).astype("int32"))]
                    for x in lex]

        # train with early stopping on validation set
        loop = {"epoch": 0, "best_f1": -numpy.inf, "best_params": None, "valid_f1": [], "test_f1": [],
                "epoch_seconds": []}
        param["clr"] = param["lr"]
        checkpoint, saved = resume_loop(run.checkpoint("training"), [rnn.sentence_train, rnn.normalize],
                                        {"epoch": 0, "loop": loop, "param": param,
                                         "train_sets": (train_lex, train_ne, train_y)})
        loop, param = saved["loop"], saved["param"]
        train_lex, train_ne, train_y = saved["train_sets"]
        while loop["epoch"] < param["nepochs"]:
            e = loop["epoch"]
            shuffle([train_lex, train_ne, train_y], param["seed"])
            param["ce"] = e
            tic = timeit.default_timer()
            for i, (x, y) in enumerate(zip(train_lex, train_y)):
                rnn.train(x, y, param["win"], param["clr"])
                print("[learning] epoch %i >> %2.2f%%" % (e, (i + 1) * 100.0 / nsentences), end=" ")
                print("completed in %.2f (sec) <<\r" % (timeit.default_timer() - tic), end=" ")
                sys.stdout.flush()
            loop["epoch_seconds"].append(timeit.default_timer() - tic)

            # evaluation // back into the real world : idx -> words
            res_test = conlleval(predict(test_lex), groundtruth_test, words_test, folder + "/current.test.txt", folder)
            res_valid = conlleval(predict(valid_lex), groundtruth_valid, words_valid, folder + "/current.valid.txt",
                                  folder)
            loop["valid_f1"].append(res_valid["f1"])
            loop["test_f1"].append(res_test["f1"])
            if res_valid["f1"] > loop["best_f1"]:
                if param["savemodel"]:
                    rnn.save(folder)
                loop["best_params"] = [p.get_value() for p in rnn.params]
                loop["best_f1"] = res_valid["f1"]
                if param["verbose"]:
                    print(("NEW BEST: epoch", e, "valid F1", res_valid["f1"], "best test F1", res_test["f1"]))
                param["vf1"], param["tf1"] = res_valid["f1"], res_test["f1"]
                param["vp"], param["tp"] = res_valid["p"], res_test["p"]
                param["vr"], param["tr"] = res_valid["r"], res_test["r"]
                param["be"] = e
                os.replace(folder + "/current.test.txt", folder + "/best.test.txt")
                os.replace(folder + "/current.valid.txt", folder + "/best.valid.txt")
            elif param["verbose"]:
                print("")

            # learning rate decay if no improvement in 10 epochs
            if param["decay"] and abs(param["be"] - param["ce"]) >= 10:
                param["clr"] *= 0.5
                for p, value in zip(rnn.params, loop["best_params"]):  # the original: rnn = best_rnn
                    p.set_value(value)
            loop["epoch"] += 1
            checkpoint.save({"epoch": loop["epoch"], "loop": loop, "param": param,
                             "train_sets": (train_lex, train_ne, train_y)})
            if param["clr"] < 1e-5:
                break

        print(("BEST RESULT: epoch", param["be"], "valid F1", param["vf1"], "best test F1", param["tf1"],
               "with the model", folder))
        run.record.update({key: param[key] for key in ("be", "vf1", "tf1", "vp", "tp", "vr", "tr", "clr")},
                          valid_f1=loop["valid_f1"], test_f1=loop["test_f1"], epoch_seconds=loop["epoch_seconds"],
                          best_epoch=param["be"], best_valid_f1=param["vf1"], best_test_f1=param["tf1"])
    return run.record
