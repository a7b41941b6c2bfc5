"""``theano.compile.mode``: Theano's mode names mapped onto dltutorial's compile modes."""

from ...core.modes import MODE_NAMES, compile_mode, default_mode
from .._missing import missing

# Theano's modes chose an optimiser and a linker; here the backend is what a mode picks
THEANO_MODES = {"FAST_RUN": None, "FAST_COMPILE": None, "DebugMode": None, "DEBUG_MODE": None, "ProfileMode": None}


def backend(mode):
    """Our mode name for a Theano ``mode=`` argument: ours as given, Theano's names (and None) the default."""
    if mode is None or mode in THEANO_MODES:
        return None
    if isinstance(mode, str) and mode in MODE_NAMES:
        return mode
    if isinstance(mode, str):
        raise missing("compile.mode", f"Mode({mode!r})")
    return mode.dltutorial_name if hasattr(mode, "dltutorial_name") else None


def get_default_mode():
    """The default compile mode (``c`` with a BLAS, else ``numba``), as a PyTensor Mode."""
    mode = compile_mode(default_mode())
    mode.dltutorial_name = default_mode()
    return mode


def Mode(linker=None, optimizer="default"):  # noqa: N802 (Theano's class name)
    """``theano.Mode(linker='cvm', optimizer='fast_run')``: the default compile mode.

    Theano's linkers and optimisers chose how a graph ran (Python or C
    thunks, which rewrites), not what it computed; here the backend is what
    a mode picks, and a Theano ``Mode`` picks the default one.
    """
    return get_default_mode()


def __getattr__(name):
    raise missing("compile.mode", name)
