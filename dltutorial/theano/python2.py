"""Python 2 scripts on Python 3: translated first by python-future's ``futurize``, keeping Python 2's meaning.

``futurize`` (stages 1 and 2) turns ``print`` statements into calls,
``xrange`` into ``range``, ``cPickle`` into ``pickle`` and the dict
iterators into their Python 3 names, and writes ``a / b`` as
``old_div(a, b)``, which divides integers as Python 2 did (``7 / 2 == 3``):
a translator that made every ``/`` true division would change what the
scripts compute.  The script and the ``.py`` modules beside it (which it may
import) are translated into another folder; the user's are not touched.
"""

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

from ..core.errors import TutorialError


class Python2Error(TutorialError, SyntaxError):
    """A script the translator cannot read, or a translator that cannot run here."""


def _futurize(files):
    """Translate ``files`` in place; return futurize's messages if it failed, else None."""
    try:
        from libfuturize.main import main as futurize
    except ImportError:
        raise Python2Error("--python2 needs python-future's futurize (on Python 3.12 or older, which still has "
                           "lib2to3): pip install -e .[python2]") from None
    messages = io.StringIO()
    with contextlib.redirect_stderr(messages), contextlib.redirect_stdout(io.StringIO()):
        failed = futurize(["--stage1", "--stage2", "--all-imports", "--write", "--nobackups", *map(str, files)])
    return messages.getvalue() if failed else None


def translate(script, folder):
    """Write the Python 3 translation of ``script`` and the modules beside it into ``folder``; return the script's."""
    script, folder = Path(script), Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file in the way, no permission, a full disk
        raise Python2Error(f"{folder}: cannot hold the translations ({error.strerror}): give another folder to "
                           "--write-python3") from None
    copies = []
    for module in sorted(script.parent.glob("*.py")):
        shutil.copyfile(module, folder / module.name)
        copies.append(folder / module.name)
    problem = _futurize(copies)
    if problem is not None:
        last = problem.strip().splitlines()[-1] if problem.strip() else "no message"
        raise Python2Error(f"{script}: the Python 2 translation failed ({last}): is it Python 2 code?")
    return folder / script.name


def python2_only(script):
    """Why ``script`` is Python 2 code (its first Python 3 syntax error) if it does not compile as Python 3 but
    its translation does; None if it compiles as it is (or is not Python 2 either)."""
    source = Path(script).read_text(encoding="utf-8", errors="replace")
    try:
        compile(source, str(script), "exec")
        return None
    except SyntaxError as error:
        why = f"line {error.lineno}: {error.msg}"
    with tempfile.TemporaryDirectory(prefix="dltutorial-python2-") as folder:
        copy = Path(folder) / Path(script).name
        copy.write_text(source, encoding="utf-8")
        if _futurize([copy]) is not None:
            return None
        try:
            compile(copy.read_text(encoding="utf-8"), str(copy), "exec")
        except SyntaxError:
            return None
    return why
