"""``theano.config``: Theano's settings read from and written to PyTensor's."""

import pytensor

from ..core.errors import TutorialError
from ._missing import missing

IGNORED = {"device": "cpu", "force_device": False, "init_gpu_device": "", "optimizer_including": "",
           "warn_float64": "ignore", "exception_verbosity": "low"}  # accepted, no effect on PyTensor


class ConfigSection:
    """A section of Theano's settings, ``theano.config.gcc.cxxflags``: PyTensor's ``gcc__cxxflags``.

    Theano's ``warn.*`` switches each silenced the warning about one old Theano bug: PyTensor has none of those
    bugs, so a ``warn`` setting PyTensor lacks is accepted and does nothing.
    """

    def __init__(self, section):
        object.__setattr__(self, "_section", section)

    def __getattr__(self, name):
        flag = f"{self._section}__{name}"
        if hasattr(pytensor.config, flag):
            return getattr(pytensor.config, flag)
        if self._section == "warn":
            return IGNORED.get(flag, False)
        raise missing("config", f"{self._section}.{name}")

    def __setattr__(self, name, value):
        flag = f"{self._section}__{name}"
        if hasattr(pytensor.config, flag):
            setattr(pytensor.config, flag, value)
        elif self._section == "warn":
            IGNORED[flag] = value
        else:
            raise missing("config", f"{self._section}.{name}")


def _is_section(name):
    return name == "warn" or any(flag.startswith(f"{name}__") for flag in dir(pytensor.config))


class TheanoConfig:
    """Attributes PyTensor also has (``floatX``, ``compute_test_value`` ...) are PyTensor's, sections
    (``theano.config.gcc.cxxflags``) too; a few GPU-era ones are accepted and ignored; anything else names itself
    as missing."""

    def __getattr__(self, name):
        if name in IGNORED:
            return IGNORED[name]
        if _is_section(name):
            return ConfigSection(name)
        try:
            return getattr(pytensor.config, name)
        except AttributeError:
            raise missing("config", name) from None

    def __setattr__(self, name, value):
        if name in IGNORED:
            IGNORED[name] = value
        else:
            setattr(pytensor.config, name, value)


config = TheanoConfig()


class TheanoFlagError(TutorialError, ValueError):
    """A ``THEANO_FLAGS`` entry with a value its setting does not take."""


def apply_theano_flags(flags):
    """Apply a ``THEANO_FLAGS`` string (``floatX=float64,device=cpu``) to PyTensor's settings.

    Returns the flags it did not recognise; a value a setting refuses is a
    :class:`TheanoFlagError`.  Called by ``python -m dltutorial.theano``,
    never on import.
    """
    unknown = []
    for item in filter(None, (part.strip() for part in flags.split(","))):
        name, _, value = item.partition("=")
        name = name.strip().replace(".", "__")
        if name in IGNORED:
            IGNORED[name] = value
        elif name == "mode":
            continue  # a Theano mode names an optimiser, not a backend: the function's mode= picks that
        elif hasattr(pytensor.config, name):
            try:
                setattr(pytensor.config, name, value)
            except Exception as error:  # PyTensor's settings raise ValueError, TypeError or a bare Exception
                raise TheanoFlagError(f"THEANO_FLAGS {item}: {str(error).rstrip('.!')}; correct it in THEANO_FLAGS, "
                                      "or leave it out") from None
        else:
            unknown.append(item)
    return unknown
