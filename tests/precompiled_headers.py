"""The tests' C modules start from a precompiled header: g++ reads Python's and numpy's headers once, not 870 times.

Every C module PyTensor compiles begins with the same headers (``Python.h``,
numpy's ``arrayobject.h`` ...), and at ``-O0`` reading them is half of a
module's compile.  GCC takes a precompiled header instead of the header's text
when the compile's flags are the ones it was made with; when they are not (an op
with flags of its own, ``-fopenmp``), it reads the text: a module compiles
either way, only more slowly.  The header lives beside PyTensor's compile directories,
one per set of flags.
"""

import hashlib
import os
import subprocess
from pathlib import Path

# what every module PyTensor writes includes first, in its order
HEADERS = ("<Python.h>", '"pytensor_mod_helper.h"', "<math.h>", "<numpy/arrayobject.h>", "<numpy/arrayscalars.h>",
           "<numpy/npy_math.h>", "<vector>", "<algorithm>")


def _part(path):
    return path.with_name(f"{path.name}.{os.getpid()}.part")


def precompiled_header():
    """The header to ``-include``, precompiled (once) with the flags PyTensor compiles its modules with now.

    None without a C compiler, or if g++ cannot precompile it (the modules then read their headers as usual).
    """
    from pytensor import config
    from pytensor.link.c.cmodule import GCC_compiler, std_include_dirs

    if not config.cxx:
        return None

    flags = ["-shared", "-g", *GCC_compiler.compile_args(), "-fno-math-errno", *(f"-I{d}" for d in std_include_dirs()),
             "-fvisibility=hidden"]
    key = hashlib.sha256("\0".join([config.cxx, *flags]).encode()).hexdigest()[:16]
    header = Path(config.base_compiledir) / "precompiled_headers" / key / "pytensor_headers.h"
    precompiled = header.with_suffix(".h.gch")
    if not precompiled.exists():  # the test processes may make it at once: each writes its own, then renames
        header.parent.mkdir(parents=True, exist_ok=True)
        _part(header).write_text("".join(f"#include {name}\n" for name in HEADERS))
        os.replace(_part(header), header)
        made = subprocess.run([config.cxx, *flags, "-x", "c++-header", str(header), "-o", str(_part(precompiled))],
                              capture_output=True)
        if made.returncode:
            return None
        os.replace(_part(precompiled), precompiled)
    return header
