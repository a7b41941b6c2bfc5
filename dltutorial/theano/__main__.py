"""``python -m dltutorial.theano [--replace-theano] script.py [args]``: run a Theano script on PyTensor.

The script's ``import theano`` (and ``theano.tensor``, ``theano.sandbox.rng_mrg``
...) resolve to :mod:`dltutorial.theano`.  ``THEANO_FLAGS`` is read into
PyTensor's settings (``floatX=float64`` ...), and symbolic variables get
Theano's truth test (:mod:`~dltutorial.theano.truth`).  A real Theano, if
installed, is left to the script unless ``--replace-theano`` asks for the
layer anyway.
"""

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import tempfile
import traceback

from .configuration import IGNORED, TheanoFlagError, apply_theano_flags
from .python2 import Python2Error, python2_only, translate
from .truth import use_theano_truth_tests


class TheanoAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``theano`` and ``theano.x.y`` as ``dltutorial.theano`` and ``dltutorial.theano.x.y``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "theano" or fullname.startswith("theano."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        try:
            return importlib.import_module("dltutorial." + spec.name)
        except ModuleNotFoundError:
            raise ModuleNotFoundError(_why_not_provided(spec.name), name=spec.name) from None

    def exec_module(self, module):
        pass


def _why_not_provided(name):
    """Why the layer has no module ``name``: what its parent says of the attribute (the way to go instead), else
    where the docs list what it has."""
    parent, _, child = ("dltutorial." + name).rpartition(".")
    try:
        getattr(importlib.import_module(parent), child)
    except (ImportError, AttributeError) as error:
        if str(error).startswith(name):
            return str(error)
    return f"{name} is not provided by dltutorial.theano: docs/theano_compat.md lists the modules it has"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dltutorial.theano", description=__doc__.split("\n")[0])
    parser.add_argument("--replace-theano", action="store_true", help="use the layer even where Theano is installed")
    parser.add_argument("--python2", action="store_true",
                        help="a Python 2 script: translate it and the modules beside it first (python-future's "
                             "futurize, which keeps Python 2's integer division); the user's files stay as they are")
    parser.add_argument("--write-python3", metavar="DIR", help="with --python2: keep the translations in DIR")
    parser.add_argument("script", help="the Theano script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.script):
        sys.exit(f"error: {args.script}: no such script")
    if args.write_python3 and not args.python2:
        sys.exit("error: --write-python3 keeps what --python2 translates: give --python2 too")
    if args.python2:
        with contextlib.ExitStack() as scratch:
            folder = args.write_python3 or scratch.enter_context(tempfile.TemporaryDirectory(prefix="python3-"))
            try:
                translated = translate(args.script, folder)
            except Python2Error as error:
                sys.exit(f"error: {error}")
            run(str(translated), args)
        return
    why = python2_only(args.script)
    if why is not None:
        sys.exit(f"error: {args.script} is Python 2 code ({why}): run it with --python2, which translates it first")
    run(args.script, args)


def run(script, args):
    """Run ``script`` as ``__main__`` with ``args.args``, Theano's flags applied and ``theano`` the layer."""
    try:
        unknown = apply_theano_flags(os.environ.get("THEANO_FLAGS", ""))
    except TheanoFlagError as error:
        sys.exit(f"error: {error}")
    if unknown:
        print(f"note: THEANO_FLAGS entries with no PyTensor setting, ignored: {', '.join(unknown)}", file=sys.stderr)
    if not str(IGNORED["device"]).startswith("cpu"):
        print(f"note: THEANO_FLAGS device={IGNORED['device']}: PyTensor has no such device, the script runs on the "
              "CPU (a function compiled with mode='JAX' runs where JAX does, a GPU included)", file=sys.stderr)
    if args.replace_theano or importlib.util.find_spec("theano") is None:
        sys.meta_path.insert(0, TheanoAlias())
        use_theano_truth_tests()
    sys.argv = [args.script] + args.args
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except SyntaxError as error:  # not Python 2 (that was caught before): a mistake in the script itself
        sys.exit(f"error: {error.filename}, line {error.lineno}: {error.msg}")
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("theano"):
            raise  # the script's own import of something not installed: its traceback
        lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
                 if os.path.abspath(frame.filename) == os.path.abspath(script)]
        sys.exit(f"error: {script}, line {lines[-1] if lines else '?'}: {error}")


if __name__ == "__main__":
    main()
