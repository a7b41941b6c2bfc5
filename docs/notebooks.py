"""Write every docs page that has code cells as a Jupyter notebook: ``python docs/notebooks.py [OUT]``.

The pages are MyST notebooks (jupytext reads them); what Sphinx does at build
time is done here too, so that the notebook reads like the page:
``literalinclude`` directives become the quoted code, taken from the live
source now, and relative links and images point from the notebooks' folder.
"""

import os
import re
import sys
from pathlib import Path

import jupytext

DOCS = Path(__file__).resolve().parent
INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[\w-]+:.*\n)*)```\n?", re.M)
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)#:\s]+)(#[^)]*)?\)")


def quoted(page, match):
    """The code a ``literalinclude`` quotes: the lines between its markers, dedented as the site shows them."""
    options = dict(re.findall(r"^:([\w-]+):\s*(.*)$", match.group(2), re.M))
    lines = (page.parent / match.group(1)).read_text().splitlines()
    if "start-after" in options:
        lines = lines[next(i for i, line in enumerate(lines) if options["start-after"] in line) + 1:]
    if "end-before" in options:
        lines = lines[:next(i for i, line in enumerate(lines) if options["end-before"] in line)]
    if "dedent" in options:
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        lines = [line[indent:] for line in lines]
    return "```python\n" + "\n".join(lines) + "\n```\n"


def relinked(page, text, out):
    """``text`` with each relative link or image of ``page`` made relative to the folder ``out``."""
    def fix(match):
        target = os.path.relpath((page.parent / match.group(2)).resolve(), out.resolve())
        return f"{match.group(1)}{target}{match.group(3) or ''})"
    return LINK.sub(fix, text)


def write_notebook(page, out):
    notebook = jupytext.read(page)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = relinked(page, INCLUDE.sub(lambda m: quoted(page, m), cell.source), out)
    target = out / (page.stem + ".ipynb")
    jupytext.write(notebook, target, fmt="ipynb")
    return target


def notebook_pages():
    """The docs pages that have code cells: the ones that are notebooks."""
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "```{code-cell}" in p.read_text())


def main(argv=None):
    out = Path((argv or sys.argv[1:] or ["notebooks"])[0])
    out.mkdir(parents=True, exist_ok=True)
    for page in notebook_pages():
        print("wrote", write_notebook(page, out))


if __name__ == "__main__":
    main()
