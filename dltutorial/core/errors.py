"""The problems a user can fix: each is one line that names the problem and the fix.

Every such error derives from :class:`TutorialError`; the command line prints
its message as one line (``error: ...``) and exits with status 1, and shows
a traceback only with ``--debug``.  The modules raise their own kinds
(``DataError`` in data.py, ``ModeError`` in modes.py, ``CheckpointError``
in checkpoints.py ...).
"""


class TutorialError(Exception):
    """A problem with what the user gave or has: arguments, data, files, settings."""


class ArgumentError(TutorialError, ValueError):
    """An argument of an entry function (or a command-line option) out of its range."""


class TrainingDiverged(TutorialError, ArithmeticError):
    """The training cost became NaN or infinite."""
