"""Theano-style programs run through dltutorial.theano and give dltutorial's own numbers (issue 22)."""

import os
import re
import subprocess
import sys

import numpy
import pytensor
import pytest
import scipy.signal

import dltutorial.theano as theano
from dltutorial.core.compile import compile_function
from dltutorial.core.minibatches import minibatch_givens
from dltutorial.core.modes import available_modes
from dltutorial.core.random_init import random_stream
from dltutorial.dA import dA
from dltutorial.logistic_sgd import LogisticRegression
from .bounds import assert_within, function_error, gamma, product_error, trajectory_rtol

T = theano.tensor
RNG = numpy.random.RandomState(0)
DATA_X = RNG.rand(40, 6)
DATA_Y = (DATA_X[:, 0] > DATA_X[:, 1]).astype("int32")


def theano_logistic_costs(mode):
    """The tutorial's logistic regression as Theano code: shared data, givens by a symbolic index, updates."""
    train_x = theano.shared(DATA_X, borrow=True)
    train_y = T.cast(theano.shared(DATA_Y.astype("float64")), "int32")
    index, x, y = T.lscalar(), T.matrix("x"), T.ivector("y")
    W = theano.shared(numpy.zeros((6, 2)), name="W")
    b = theano.shared(numpy.zeros(2), name="b")
    p_y_given_x = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y])
    g_W, g_b = T.grad(cost=cost, wrt=W), T.grad(cost=cost, wrt=b)
    train = theano.function(inputs=[index], outputs=cost, updates=[(W, W - 0.5 * g_W), (b, b - 0.5 * g_b)],
                            givens={x: train_x[index * 10:(index + 1) * 10], y: train_y[index * 10:(index + 1) * 10]},
                            mode=mode)
    return [float(train(i % 4)) for i in range(12)]


def dltutorial_logistic_costs(mode):
    train_x = pytensor.shared(DATA_X)
    train_y = pytensor.tensor.cast(pytensor.shared(DATA_Y.astype("float64")), "int32")
    index, x, y = pytensor.tensor.lscalar(), pytensor.tensor.matrix("x"), pytensor.tensor.ivector("y")
    model = LogisticRegression(x, 6, 2)
    cost = model.negative_log_likelihood(y)
    updates = [(p, p - 0.5 * pytensor.grad(cost, p)) for p in model.params]
    train = compile_function([index], cost, updates=updates, givens=minibatch_givens(index, 10, (x, train_x),
                                                                                       (y, train_y)), mode=mode)
    return [float(train(i % 4)) for i in range(12)]


@pytest.mark.parametrize("mode", available_modes())
def test_a_theano_logistic_regression_gives_dltutorials_numbers(mode, float64):
    ours = theano_logistic_costs(mode)
    assert ours[-1] < ours[0]
    # the same model written twice: 12 steps of a 6-input softmax, each rounded in its own order
    numpy.testing.assert_allclose(ours, dltutorial_logistic_costs(mode), rtol=trajectory_rtol(12, (6,), "float64"))


def theano_dA_costs(theano_rng, mode=None, n_visible=6, n_hidden=4, corruption_level=0.3):
    """The dA tutorial's step written as Theano code, with the streams it is given."""
    numpy_rng = numpy.random.RandomState(123)
    bound = 4 * numpy.sqrt(6.0 / (n_hidden + n_visible))
    W = theano.shared(numpy_rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden)), name="W")
    b, b_prime = theano.shared(numpy.zeros(n_hidden), name="b"), theano.shared(numpy.zeros(n_visible), name="b_prime")
    index, x = T.lscalar(), T.matrix("x")
    tilde_x = theano_rng.binomial(size=x.shape, n=1, p=1 - corruption_level, dtype=theano.config.floatX) * x
    z = T.nnet.sigmoid(T.dot(T.nnet.sigmoid(T.dot(tilde_x, W) + b), W.T) + b_prime)
    cost = T.mean(-T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1))
    updates = [(p, p - 0.1 * T.grad(cost, p)) for p in (W, b, b_prime)]
    train = theano.function([index], cost, updates=updates,
                            givens={x: theano.shared(DATA_X)[index * 10:(index + 1) * 10]}, mode=mode)
    return [float(train(i % 4)) for i in range(12)]


@pytest.mark.parametrize("mode", available_modes())
def test_a_theano_denoising_autoencoder_with_mrg_streams_gives_the_dA_tutorials_costs(mode, float64):
    from dltutorial.theano.sandbox.rng_mrg import MRG_RandomStreams

    ours = theano_dA_costs(MRG_RandomStreams(1234), mode)
    index, x = pytensor.tensor.lscalar(), pytensor.tensor.matrix("x")
    da = dA(numpy_rng=numpy.random.RandomState(123), theano_rng=random_stream(1234), input=x, n_visible=6,
            n_hidden=4)
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=0.1)
    train = compile_function([index], cost, updates=updates,
                             givens=minibatch_givens(index, 10, (x, pytensor.shared(DATA_X))), mode="c")
    # the same draws (the MRG streams bit for bit), then 12 steps of a 6-4-6 autoencoder rounded in its own order
    numpy.testing.assert_allclose(ours, [float(train(i % 4)) for i in range(12)],
                                  rtol=trajectory_rtol(12, (6, 4), "float64"))


def test_shared_randomstreams_draw_anew_at_every_call(float64):
    from dltutorial.theano.tensor.shared_randomstreams import RandomStreams

    costs = theano_dA_costs(RandomStreams(1234))
    assert costs[-1] < costs[0] and len(set(costs)) == len(costs)
    mask = theano.function([], RandomStreams(5).binomial(size=(200,), n=1, p=0.7))
    first, second = mask(), mask()
    assert 0.6 < first.mean() < 0.8 and (first != second).any()  # the generator moved on


def test_in_defaults_keywords_and_unused_inputs():
    x, y, z = T.dscalar("x"), T.dscalar("y"), T.dscalar("z")
    f = theano.function([x, theano.In(y, value=2.0), theano.In(z, value=1.0)], x * y + z, name="f")
    assert f(3) == 7.0 and f(3, 4) == 13.0 and f(x=3, z=0) == 6.0 and f(1, z=5, y=1) == 6.0
    g = theano.function([x, y], x, on_unused_input="ignore")
    assert g(2, 9) == 2.0
    with pytest.raises(pytensor.compile.UnusedInputError, match=r"input variable at index 1 is not part of .*: y\."):
        theano.function([x, y], x)  # Theano's default: an unused input is an error


def test_theanos_semantics_where_pytensor_differs():
    v = T.dvector("v")
    probs = theano.function([v], T.nnet.softmax(v))(numpy.array([1.0, 2.0, 3.0]))
    assert probs.shape == (1, 3) and probs.sum() == pytest.approx(1.0)  # a vector is one row
    r = theano.function([v], T.round(v))(numpy.array([0.5, 1.5, 2.5, -2.5]))
    numpy.testing.assert_array_equal(r, [1.0, 2.0, 3.0, -3.0])  # halves away from zero
    assert theano.config.floatX == pytensor.config.floatX


@pytest.mark.parametrize("mode", available_modes())
def test_scan_returns_outputs_and_updates_as_theano_did(mode):
    v = T.dvector("v")
    sums, updates = theano.scan(fn=lambda v_t, total: total + v_t, sequences=v, outputs_info=T.zeros_like(v[0]))
    assert updates == {} or not updates
    cumsum = theano.function([v], sums, updates=updates, mode=mode)
    numpy.testing.assert_array_equal(cumsum(numpy.arange(5.0)), [0, 1, 3, 6, 10])  # small integers: exact
    if mode == "jax":  # a loop whose length is an input: JAX cannot trace it (above: the sequence's length)
        return
    k, A = T.iscalar("k"), T.dvector("A")
    result, updates = theano.scan(fn=lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A,
                                  n_steps=k)
    power = theano.function([A, theano.In(k, value=3)], result[-1], updates=updates, mode=mode)
    numpy.testing.assert_array_equal(power(numpy.arange(4.0)), [0, 1, 8, 27])
    numpy.testing.assert_array_equal(power(numpy.arange(4.0), k=2), [0, 1, 4, 9])


def test_scan_without_a_mode_compiles_its_step_as_theano_function_does(float64):
    """The step gets the default mode with our rewrites, not PyTensor's own plain C mode.

    PyTensor's scan rewrites square the whole matrix before the loop; the row's sum left in the step is then ours
    (a sum over adjacent axes), where PyTensor's own mode leaves its generic reduction.
    """
    from pytensor.scan.op import Scan

    from dltutorial.core.modes import default_mode
    from dltutorial.engine.sums import AdjacentAxesSum

    if default_mode() != "c":
        pytest.skip("PyTensor found no BLAS: the default mode is numba, which compiles the step itself")
    rows = T.dmatrix("rows")
    norms, updates = theano.scan(fn=lambda row: T.sum(row ** 2, acc_dtype="float64"), sequences=rows)
    squared_norms = theano.function([rows], norms, updates=updates)
    [loop] = [node.op for node in squared_norms.maker.fgraph.toposort() if isinstance(node.op, Scan)]
    values = RNG.randn(3, 5)
    got = squared_norms(values)
    assert any(isinstance(node.op, AdjacentAxesSum) for node in loop.fn.maker.fgraph.toposort())
    assert_within(got, (values ** 2).sum(axis=1), 2 * gamma(5, "float64") * (values ** 2).sum(axis=1), "norms")


@pytest.mark.parametrize("mode", available_modes())
def test_conv2d_and_pool_2d_with_the_old_keywords_match_scipy(mode, float64):
    from dltutorial.theano.tensor.signal import pool

    images, filters = T.tensor4("images"), T.tensor4("filters")
    conv = T.nnet.conv2d(input=images, filters=filters, filter_shape=(2, 1, 3, 3), image_shape=(1, 1, 7, 7))
    pooled = pool.pool_2d(input=conv, ds=(2, 2), ignore_border=True)
    image, bank = RNG.randn(1, 1, 7, 7), RNG.randn(2, 1, 3, 3)
    got_conv, got_pooled = theano.function([images, filters], [conv, pooled], mode=mode)(image, bank)
    for k in range(2):
        expected = scipy.signal.convolve2d(image[0, 0], bank[k, 0], mode="valid")  # a true (flipped) convolution
        # each output a sum of 9 products, ours and scipy's each within gamma_9 of the exact one
        bound = 2 * gamma(9, "float64") * scipy.signal.convolve2d(abs(image[0, 0]), abs(bank[k, 0]), mode="valid")
        assert_within(got_conv[0, k], expected, bound, "conv2d")
        window = (slice(0, 4), slice(0, 4))
        assert_within(got_pooled[0, k], expected[window].reshape(2, 2, 2, 2).max(axis=(1, 3)),
                      bound[window].reshape(2, 2, 2, 2).max(axis=(1, 3)), "pool_2d")


def test_names_theano_code_of_the_time_calls(float64):
    """Each as Theano's documentation shows it (doc/tutorial/loop.txt, conditions.txt; doc/library/tensor)."""
    from dltutorial.theano import theano as itself

    assert itself is theano and "theano" in theano.__all__  # from theano import theano, from theano import *

    def power_of_2(previous_power, max_value):  # loop.txt: scan as a while loop
        return previous_power * 2, theano.scan_module.until(previous_power * 2 > max_value)
    max_value = T.scalar()
    values, _ = theano.scan(power_of_2, outputs_info=T.constant(1.0), non_sequences=max_value, n_steps=1024)
    numpy.testing.assert_array_equal(theano.function([max_value], values)(45), [2, 4, 8, 16, 32, 64])

    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    z_lazy = theano.ifelse.ifelse(T.lt(a, b), T.mean(x), T.mean(y))  # conditions.txt
    f_lazy = theano.function([a, b, x, y], z_lazy)
    assert f_lazy(1, 2, numpy.ones((2, 2)), numpy.zeros((2, 2))) == 1.0
    assert f_lazy(2, 1, numpy.ones((2, 2)), numpy.zeros((2, 2))) == 0.0

    cube = T.tensor3("cube")
    assert theano.function([cube], T.flatten(cube, outdim=2))(numpy.zeros((2, 3, 4))).shape == (2, 12)
    assert theano.function([a], T.abs_(a))(-2.5) == 2.5
    assert theano.function([x, y], theano.dot(x, y))(numpy.eye(2), numpy.full((2, 2), 3.0)).tolist() == [[3, 3]] * 2
    assert "dot" in theano.pp(theano.dot(x, y))
    assert theano.scalar.upcast("float32", "int64") == "float64"  # the original hmc.py's call

    for mode in (theano.Mode(linker="cvm", optimizer="fast_run"), theano.Mode(linker="py"), "FAST_COMPILE"):
        assert theano.function([a], 2 * a, mode=mode)(3) == 6.0

    w = T.dscalar("w")
    times = theano.function([a, theano.In(w, value=2.0, name="w_by_name")], a * w)
    assert times(3) == 6.0 and times(3, w_by_name=5) == 15.0 and w.name == "w"  # the In's name is the keyword


def test_a_compiled_function_copies_with_swapped_or_deleted_updates_as_theanos_docs_show(capsys):
    """doc/tutorial/examples.txt, "Copying functions", with the values it prints."""
    state = theano.shared(0)
    inc = T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)], name="accumulator")
    accumulator(10)
    assert state.get_value() == 10 and accumulator.name == "accumulator"
    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0 and new_state.get_value() == 100 and state.get_value() == 10
    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10 and state.get_value() == 10
    assert any(node.inputs[1].name == "inc" for node in accumulator.maker.fgraph.toposort())  # maker.fgraph
    theano.printing.debugprint(accumulator)
    assert "inc [id" in capsys.readouterr().out


def test_config_sections_are_pytensors_flags_and_warn_switches_are_accepted(monkeypatch):
    monkeypatch.setattr(pytensor.config, "scan__allow_gc", False)
    theano.config.scan.allow_gc = True
    assert pytensor.config.scan__allow_gc is True and theano.config.scan.allow_gc is True
    assert theano.config.gcc.cxxflags == pytensor.config.gcc__cxxflags
    theano.config.warn.subtensor_merge_bug = False  # the scripts of the time silenced old bugs' warnings so
    assert theano.config.warn.subtensor_merge_bug is False
    with pytest.raises(AttributeError, match=r"^theano.config.gcc.no_such_flag is not provided by dltutorial.theano"):
        theano.config.gcc.no_such_flag


def test_the_first_releases_convolution_and_pooling_on_shared_filters_match_scipy(float64):
    """theano.tensor.nnet.conv.conv2d (image_shape before filter_shape) and signal.downsample.max_pool_2d, the
    LeNet tutorial's first imports; the shared filters give their own shape."""
    from dltutorial.theano.tensor.nnet import conv
    from dltutorial.theano.tensor.signal import downsample

    filters = theano.shared(RNG.randn(2, 1, 3, 3))
    images = T.tensor4("images")
    maps = conv.conv2d(images, filters, image_shape=(1, 1, 6, 6))
    pooled = downsample.max_pool_2d(maps, (2, 2), ignore_border=True)
    image = RNG.randn(1, 1, 6, 6)
    got_maps, got_pooled = theano.function([images], [maps, pooled])(image)
    for k in range(2):
        expected = scipy.signal.convolve2d(image[0, 0], filters.get_value()[k, 0], mode="valid")
        bound = 2 * gamma(9, "float64") * scipy.signal.convolve2d(abs(image[0, 0]), abs(filters.get_value()[k, 0]),
                                                                  mode="valid")
        assert_within(got_maps[0, k], expected, bound, "conv.conv2d")
        assert_within(got_pooled[0, k], expected.reshape(2, 2, 2, 2).max(axis=(1, 3)),
                      bound.reshape(2, 2, 2, 2).max(axis=(1, 3)), "max_pool_2d")


def test_missing_features_are_one_line_errors():
    with pytest.raises(AttributeError, match=r"^theano.sandbox.cuda is not provided by dltutorial.theano: .*jax"):
        theano.sandbox.cuda
    with pytest.raises(AttributeError, match=r"^theano.tensor.nnet.conv3d is not provided .*3-D"):
        T.nnet.conv3d
    with pytest.raises(AttributeError, match=r"^theano.config.no_such_flag is not provided"):
        theano.config.no_such_flag
    with pytest.raises(AttributeError, match=r"^theano.tests is not provided by dltutorial.theano: .*verify_grad"):
        theano.tests  # Theano's unittest_tools
    with pytest.raises(AttributeError, match=r"^theano.sandbox.rng_mrg.MRG_RandomStreams.multinomial is not provided"):
        theano.sandbox.rng_mrg.MRG_RandomStreams(1).multinomial


def test_the_runner_imports_theano_as_the_layer(tmp_path):
    script = tmp_path / "old.py"
    script.write_text(
        "import sys\nimport numpy\nimport theano\nimport theano.tensor as T\n"
        "from theano.sandbox.rng_mrg import MRG_RandomStreams\n"
        "x = T.matrix('x')\n"
        "f = theano.function([x], T.nnet.sigmoid(x).sum())\n"
        "print(sys.argv[1:], theano.config.floatX, float(f(numpy.zeros((2, 3), dtype=theano.config.floatX))))\n"
        "W = theano.shared(numpy.zeros(2))\n"
        "print('truthy' if x and W else 'falsy')\n"
        "try:\n    bool(x < 1)\nexcept TypeError as error:\n    print(error)\n"
        "print(theano.tensor.signal.pool.pool_2d.__name__)\n"  # by attribute, pool never imported by name
        "import theano.no_such_module\n")
    env = dict(os.environ, THEANO_FLAGS="floatX=float32,device=cpu", PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, "-m", "dltutorial.theano", str(script), "a", "--b"], capture_output=True,
                          text=True, env=env)
    assert done.stdout.splitlines() == ["['a', '--b'] float32 3.0", "truthy",  # Theano's truth tests
                                        "Variables do not support boolean operations.", "pool_2d"]
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        f"error: {script}, line 16: theano.no_such_module is not provided by dltutorial.theano: PyTensor's name "
        "for it may differ: see docs/theano_compat.md"]


def test_a_script_importing_a_theano_module_the_layer_has_not_is_one_line_with_the_way_instead(tmp_path):
    script = tmp_path / "gpu.py"
    script.write_text("import numpy\nimport theano.sandbox.cuda\n")
    done = subprocess.run([sys.executable, "-m", "dltutorial.theano", str(script)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        f"error: {script}, line 2: theano.sandbox.cuda is not provided by dltutorial.theano: the GPU is JAX's here: "
        "compile with mode='jax' (python -m dltutorial ... --mode jax)"]


@pytest.mark.parametrize("flag, problem", [
    ("floatX=bogus", r"Invalid value \('bogus'\) for configuration variable 'floatX'. "
                     r"Valid options are \{[^}]*'float64'[^}]*\}"),  # a set: in any order
    ("optimizer=fast_compile", "Can't change the value of optimizer config parameter after initialization")])
def test_a_theano_flag_with_a_value_its_setting_refuses_is_one_line(flag, problem, tmp_path, monkeypatch):
    from dltutorial.theano.__main__ import main as runner

    script = tmp_path / "never.py"
    script.write_text("open('ran', 'w')\n")
    monkeypatch.setenv("THEANO_FLAGS", f"device=cpu,{flag}")
    settings = (pytensor.config.floatX, pytensor.config.optimizer)
    with pytest.raises(SystemExit) as end:
        runner([str(script)])
    assert re.fullmatch(rf"error: THEANO_FLAGS {flag}: {problem}; correct it in THEANO_FLAGS, or leave it out",
                        end.value.code)
    assert (pytensor.config.floatX, pytensor.config.optimizer) == settings and not (tmp_path / "ran").exists()


PYTHON2_SCRIPT = """import cPickle
import numpy
import theano
import theano.tensor as T
from helper import half

x = T.dvector('x')
f = theano.function([x], (x ** 2).sum())
print 'sum of squares', f(numpy.arange(3.0))
print 'half of 7 is', half(7)
for i in xrange(2):
    print i,
print
print {'a': 1}.keys()
"""


def test_a_script_that_does_not_parse_is_one_line_naming_its_line(tmp_path, monkeypatch):
    from dltutorial.theano.__main__ import main as runner

    script = tmp_path / "broken.py"
    script.write_text("import theano\nx = (1,\n")
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # the runner gives the script its own argv
    with pytest.raises(SystemExit) as end:
        runner([str(script)])
    assert end.value.code == f"error: {script}, line 2: '(' was never closed"


def test_a_gpu_device_in_theano_flags_is_a_note_that_the_script_runs_on_the_cpu(tmp_path):
    script = tmp_path / "gpu.py"
    script.write_text("import theano, theano.tensor as T\nx = T.dscalar('x')\nprint(theano.function([x], 2 * x)(3))\n")
    done = subprocess.run([sys.executable, "-m", "dltutorial.theano", str(script)], capture_output=True, text=True,
                          env=dict(os.environ, THEANO_FLAGS="device=cuda0", PYTHONWARNINGS="ignore"))
    assert done.returncode == 0 and done.stdout == "6.0\n"
    assert done.stderr.strip() == ("note: THEANO_FLAGS device=cuda0: PyTensor has no such device, the script runs on "
                                   "the CPU (a function compiled with mode='JAX' runs where JAX does, a GPU included)")


def test_a_python2_script_and_its_modules_run_translated_with_python2s_meaning(tmp_path):
    """Integer division, print statements (a trailing comma too), xrange, cPickle, dict views as lists."""
    pytest.importorskip("lib2to3", reason="python-future's futurize reads code with lib2to3 (Python <= 3.12)")
    from dltutorial.theano.__main__ import main as runner

    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "old.py").write_text(PYTHON2_SCRIPT)
    (scripts / "helper.py").write_text("def half(n):\n    return n / 2\n")
    originals = {path.name: path.read_text() for path in scripts.iterdir()}
    with pytest.raises(SystemExit) as end:
        runner([str(scripts / "old.py")])
    assert end.value.code == (f"error: {scripts / 'old.py'} is Python 2 code (line 9: Missing parentheses in call to "
                              "'print'. Did you mean print(...)?): run it with --python2, which translates it first")
    done = subprocess.run([sys.executable, "-m", "dltutorial.theano", "--python2", "--write-python3",
                           str(tmp_path / "python3"), "old.py"], cwd=scripts, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert done.stdout.splitlines() == ["sum of squares 5.0", "half of 7 is 3", "0 1 ", "['a']"], done.stderr
    assert {path.name: path.read_text() for path in scripts.iterdir()} == originals  # the user's files as they were
    assert "old_div(n, 2)" in (tmp_path / "python3" / "helper.py").read_text()


def test_an_installed_theano_is_left_to_the_script_unless_asked(tmp_path):
    (tmp_path / "site" / "theano").mkdir(parents=True)
    (tmp_path / "site" / "theano" / "__init__.py").write_text("REAL = True\n")
    script = tmp_path / "which.py"
    script.write_text("import theano\nprint(getattr(theano, 'REAL', False))\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"), PYTHONWARNINGS="ignore")
    for flags, expected in (([], "True"), (["--replace-theano"], "False")):
        done = subprocess.run([sys.executable, "-m", "dltutorial.theano", *flags, str(script)], capture_output=True,
                              text=True, env=env)
        assert done.stdout.strip() == expected, done.stderr


def test_random_streams_as_theanos_docs_show(float64):
    """doc/tutorial/examples.txt, "Using Random Numbers": a draw's .rng, seeding, sharing, no_default_updates."""
    from dltutorial.theano.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=234)
    rv_u, rv_n = srng.uniform((2, 2)), srng.normal((2, 2))
    f = theano.function([], rv_u)
    g = theano.function([], rv_n, no_default_updates=True)  # not updating rv_n.rng
    nearly_zeros = theano.function([], rv_u + rv_u - 2 * rv_u)
    f_val0, f_val1 = f(), f()
    assert (f_val0 != f_val1).all()  # the generator moved on
    g_val0, g_val1 = g(), g()
    numpy.testing.assert_array_equal(g_val0, g_val1)  # the same numbers: rv_n.rng stays where it was
    numpy.testing.assert_array_equal(nearly_zeros(), numpy.zeros((2, 2)))  # drawn once a call; doubling is exact

    rng_val = rv_u.rng.get_value(borrow=True)  # seeding one variable
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)
    numpy.testing.assert_array_equal(f(), numpy.random.default_rng(89234).uniform(0.0, 1.0, (2, 2)))

    srng.seed(902340)  # every variable, each with its own seed
    after_seed = f(), g()
    srng.seed(902340)
    numpy.testing.assert_array_equal(f(), after_seed[0])
    numpy.testing.assert_array_equal(g(), after_seed[1])
    assert (after_seed[1] != g_val0).all()

    state_after_v0 = rv_u.rng.get_value().get_state()  # "Sharing Streams Between Functions"
    nearly_zeros()  # this affects rv_u's generator
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2, v3 = f(), f()
    assert (v2 != v1).all()
    numpy.testing.assert_array_equal(v3, v1)
    assert [pair[0] for pair in srng.state_updates] == [rv_u.rng, rv_n.rng] and rv_u.update[0] is rv_u.rng


@pytest.mark.parametrize("streams", ["RandomStreams", "MRG_RandomStreams"])
def test_random_state_copies_between_graphs_as_theanos_docs_show(streams, float64):
    """examples.txt, "Copying Random State Between Theano Graphs": state_updates (and MRG's rstate) copied over."""
    from dltutorial.theano.sandbox.rng_mrg import MRG_RandomStreams
    from dltutorial.theano.tensor.shared_randomstreams import RandomStreams

    class Graph:
        def __init__(self, seed=123):
            self.rng = {"RandomStreams": RandomStreams, "MRG_RandomStreams": MRG_RandomStreams}[streams](seed)
            self.y = self.rng.uniform(size=(1,))

    g1, g2 = Graph(seed=123), Graph(seed=987)
    f1, f2 = theano.function([], g1.y), theano.function([], g2.y)
    assert f1() != f2()  # by default, the two functions are out of sync

    def copy_random_state(g1, g2):
        if isinstance(g1.rng, MRG_RandomStreams):
            g2.rng.rstate = g1.rng.rstate
        for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
            su2[0].set_value(su1[0].get_value())

    copy_random_state(g1, g2)
    assert f1() == f2() and f1() == f2()
    assert g2.rng.rstate == g1.rng.rstate if streams == "MRG_RandomStreams" else True


def test_no_default_updates_may_name_the_variables_left_as_they_are(float64):
    from dltutorial.theano.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=7)
    rv_u, rv_n = srng.uniform((3,)), srng.normal((3,))
    both = theano.function([], [rv_u, rv_n], no_default_updates=[rv_n.rng])
    (u0, n0), (u1, n1) = both(), both()
    assert (u0 != u1).all()
    numpy.testing.assert_array_equal(n0, n1)


def _generator_draws(state, size, steps):
    """``steps`` uniform draws of ``size`` from a PCG64 generator in ``state``, as numpy makes them."""
    generator = numpy.random.default_rng()
    generator.bit_generator.state = state
    return numpy.array([generator.uniform(0.0, 1.0, size) for _ in range(steps)]), generator.bit_generator.state


def _mrg_draws(states, size, steps):
    from dltutorial.core.rng_mrg import uniform_reference

    rows = []
    for _ in range(steps):
        states, row = uniform_reference(states, size, "float64")
        rows.append(row)
    return numpy.array(rows), states


@pytest.mark.parametrize("streams", ["RandomStreams", "MRG_RandomStreams"])
def test_a_draw_made_outside_a_scan_step_is_drawn_anew_at_every_step(streams, float64):
    """Theano's scan took the draw's generator into the loop: each step's draw is the generator's next one, and the
    updates scan returns leave the generator after the last step.  A draw given in non_sequences is drawn once."""
    from dltutorial.theano.sandbox.rng_mrg import MRG_RandomStreams
    from dltutorial.theano.tensor.shared_randomstreams import RandomStreams

    srng = {"RandomStreams": RandomStreams, "MRG_RandomStreams": MRG_RandomStreams}[streams](234)
    noise = srng.uniform((3,))
    noisy, updates = theano.scan(lambda step: noise * 1.0, sequences=T.arange(4))
    sample = theano.function([], noisy, updates=updates)
    reference = _generator_draws if streams == "RandomStreams" else _mrg_draws
    state = noise.rng.get_value().get_state() if streams == "RandomStreams" else noise.rstate.get_value()
    for _ in range(2):  # each call goes on from where the last step left the generator
        expected, state = reference(state, (3,), 4)
        numpy.testing.assert_array_equal(sample(), expected)  # the same draws from the same generator: exact
        assert len({tuple(row) for row in expected}) == 4  # a new draw at every step
    once, updates = theano.scan(lambda step, drawn: drawn * 1.0, sequences=T.arange(4), non_sequences=noise)
    rows = theano.function([], once, updates=updates)()
    assert (rows == rows[0]).all()


def test_rop_lop_jacobian_and_hessian_give_theanos_documented_values(float64):
    """doc/tutorial/gradients.txt, each printed value (small integers: exact)."""
    W, V, x = T.dmatrix("W"), T.dmatrix("V"), T.dvector("x")
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)  # W is an input, as in Theano, though the product does not read it
    numpy.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2.0, 2.0])
    v = T.dvector("v")
    VJ = T.Lop(y, W, v)
    numpy.testing.assert_array_equal(theano.function([v, x], VJ)([2, 2], [0, 1]), [[0, 0], [2, 2]])
    gy = T.grad(T.sum(x ** 2), x)
    numpy.testing.assert_array_equal(theano.function([x, v], T.grad(T.sum(gy * v), x))([4, 4], [2, 2]), [4, 4])
    numpy.testing.assert_array_equal(theano.function([x, v], T.Rop(gy, x, v))([4, 4], [2, 2]), [4, 4])
    J = theano.gradient.jacobian(x ** 2, x)
    numpy.testing.assert_array_equal(theano.function([x], J)([4, 4]), [[8, 0], [0, 8]])
    H = theano.gradient.hessian(T.sum(x ** 2), x)
    numpy.testing.assert_array_equal(theano.function([x], H)([4, 4]), [[2, 0], [0, 2]])
    assert isinstance(T.Rop([y, 2 * y], [W], [V]), list) and isinstance(theano.gradient.Lop(y, (W,), v), tuple)


def test_rop_and_lop_of_a_layer_match_its_jacobian_written_out(float64):
    """tanh(x W): R-op (1 - t^2) * (x V), L-op outer(x, v (1 - t^2)), within the bounds of the sums and tanh."""
    W, V, x, v = T.dmatrix("W"), T.dmatrix("V"), T.dvector("x"), T.dvector("v")
    y = T.tanh(T.dot(x, W))
    Wv, Vv, xv, vv = RNG.randn(4, 3), RNG.randn(4, 3), RNG.randn(4), RNG.randn(3)
    rop, lop = theano.function([W, V, x, v], [T.Rop(y, W, V), T.Lop(y, W, v)])(Wv, Vv, xv, vv)
    t, p = numpy.tanh(xv @ Wv), xv @ Vv
    q = 1 - t ** 2
    # t: a 4-term sum (ours and numpy's, each within gamma_4 of the exact one; tanh is 1-Lipschitz) and two tanhs;
    # q = 1 - t^2: that error doubled by |t|, and its own roundings; then one product
    dt = 2 * product_error(xv, abs(Wv), "float64") + 2 * function_error(t, "float64")
    dp = 2 * product_error(xv, abs(Vv), "float64")
    dq = 2 * abs(t) * dt + dt ** 2 + 2 * gamma(2, "float64") * (1 + t ** 2)
    assert_within(rop, q * p, abs(q) * dp + abs(p) * dq + dp * dq + 2 * gamma(1, "float64") * abs(q * p), "Rop")
    assert_within(lop, numpy.outer(xv, vv * q),
                  numpy.outer(abs(xv), abs(vv) * (dq + 2 * gamma(3, "float64") * abs(q))), "Lop")


class DoubleOp1(theano.Op):
    """doc/extending/extending_theano.txt's first example, as written there."""
    __props__ = ()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return eval_points
        return self.grad(inputs, eval_points)


class DoubleOp2(theano.Op):
    """The same op by itypes and otypes."""
    __props__ = ()
    itypes = [theano.tensor.dmatrix]
    otypes = [theano.tensor.dmatrix]

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes


class AXPBOp(theano.gof.Op):
    """extending_theano.txt's __props__ example: a * x + b."""
    __props__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b
        super(AXPBOp, self).__init__()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.a * inputs[0] + self.b


@pytest.mark.parametrize("op_class", [DoubleOp1, DoubleOp2])
def test_a_users_op_with_theanos_signatures_computes_infers_its_shape_and_differentiates(op_class, float64):
    """Doubling is exact: the values, the gradient (2), the R- and L-ops (2 v) are compared exactly."""
    x, v = T.dmatrix("x"), T.dmatrix("v")
    op = op_class()
    inp = RNG.rand(5, 4)  # not square: a shape mixed up would show
    numpy.testing.assert_array_equal(theano.function([x], op(x))(inp), inp * 2)
    shape = theano.function([x], op(x).shape)  # InferShapeTester's check: only the shape asked, the op not run
    numpy.testing.assert_array_equal(shape(inp), [5, 4])
    assert not any(isinstance(node.op, op_class) for node in shape.maker.fgraph.toposort())
    if op_class is DoubleOp2:
        return
    numpy.testing.assert_array_equal(theano.function([x], T.grad(op(x).sum(), x))(inp), numpy.full((5, 4), 2.0))
    numpy.testing.assert_array_equal(theano.function([v], T.Rop(op(x), x, v))(inp), inp * 2)
    numpy.testing.assert_array_equal(theano.function([v], T.Lop(op(x), x, v))(inp), inp * 2)
    from pytensor.gradient import pushforward  # PyTensor's own forward mode calls the op's R_op

    numpy.testing.assert_array_equal(theano.function([v], pushforward(op(x), x, v, use_op_pushforward=True))(inp),
                                     inp * 2)
    theano.gradient.verify_grad(op, [RNG.rand(5, 7, 2)], rng=numpy.random.RandomState(42))


def test_an_ops_props_give_its_equality_and_name(float64):
    mult4plus5op, mult2plus3op = AXPBOp(4, 5), AXPBOp(2, 3)
    assert mult4plus5op == AXPBOp(4, 5) and hash(mult4plus5op) == hash(AXPBOp(4, 5)) and mult4plus5op != mult2plus3op
    assert str(mult4plus5op) == "AXPBOp{a=4, b=5}"
    x = theano.tensor.matrix()
    inp = RNG.rand(5, 4).astype(numpy.float32)
    # the op's own numpy arithmetic, on the input cast to the matrix's float64 as the function casts it
    numpy.testing.assert_array_equal(theano.function([x], mult4plus5op(x))(inp), 4 * inp.astype("float64") + 5)


def test_compiled_graphs_answer_to_theanos_op_classes(float64):
    """Theano code looked for its classes in f.maker.fgraph: our row-by-row ops answer to Gemv/CGemv, Ger/CGer."""
    from pytensor.tensor.blas_c import cgemv_no_inplace

    from dltutorial.core.modes import default_mode

    assert isinstance(cgemv_no_inplace, T.blas_c.CGemv) and isinstance(cgemv_no_inplace, T.blas.Gemv)
    assert type(T.blas.Gemv(inplace=False)).__name__ == "Gemv" and issubclass(T.blas_c.CGer, T.blas.Ger)
    vector = T.dvector("x")
    exp = theano.function([vector], T.exp(vector))  # Theano's "Testing Theano with GPU" check
    assert any(isinstance(node.op, T.Elemwise) for node in exp.maker.fgraph.toposort())
    a, b, c = (theano.shared(RNG.rand(20, 20)) for _ in range(3))
    update = theano.function([], updates={c: 0.4 * c + .8 * T.dot(a, b)})  # theano/misc/check_blas.py's graph
    if default_mode() != "c":
        pytest.skip("PyTensor found no BLAS: the default mode is numba, without BLAS ops")
    assert any(node.op.__class__.__name__ == "Gemm" for node in update.maker.fgraph.toposort())
    W = theano.shared(RNG.randn(5, 3))
    h = T.dvector("h")
    layer = theano.function([vector], T.dot(vector, W))  # batch size 1: a matrix-vector product
    assert any(isinstance(node.op, T.blas_c.CGemv) and isinstance(node.op, T.blas.Gemv)
               for node in layer.maker.fgraph.toposort())
    xv = RNG.randn(5)
    assert_within(layer(xv), xv @ W.get_value(), 2 * product_error(xv, W.get_value(), "float64"), "x W")
    step = theano.function([vector, h], T.dot(vector, W), updates=[(W, W + 0.1 * T.outer(vector, h))])
    assert any(isinstance(node.op, T.blas_c.CGer) and isinstance(node.op, T.blas.Ger)
               for node in step.maker.fgraph.toposort())
    before, hv = W.get_value(), RNG.randn(3)
    assert_within(step(xv, hv), xv @ before, 2 * product_error(xv, before, "float64"), "x W")
    assert_within(W.get_value(), before + 0.1 * numpy.outer(xv, hv),
                  2 * gamma(2, "float64") * (abs(before) + 0.1 * abs(numpy.outer(xv, hv))), "W + 0.1 x h'")
