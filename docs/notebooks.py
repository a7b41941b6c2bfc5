"""Write every docs page that has code cells as a Jupyter notebook: ``python docs/notebooks.py [--language LANG] [OUT]``.

The pages are MyST notebooks (jupytext reads them); what Sphinx does at build
time is done here too, so that the notebook reads like the page:
``literalinclude`` directives become the quoted code, taken from the live
source now, and relative links and images point from the notebooks' folder.
With ``--language zh_CN`` the prose is the site's translation, read from the
page's catalogue in docs/locale; the code cells stay the page's own.
"""

import argparse
import os
import re
from pathlib import Path

import jupytext
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

DOCS = Path(__file__).resolve().parent
INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[\w-]+:.*\n)*)```\n?", re.M)
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)#:\s]+)(#[^)]*)?\)")
ALT = re.compile(r"(!\[)([^\]]*)(\]\()")
MARKDOWN = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin).use(amsmath_plugin)  # MyST's blocks


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


def catalogue(page, language):
    """The translated, non-fuzzy messages of ``page``'s catalogue, as Sphinx's gettext builder keys them."""
    from babel.messages.pofile import read_po  # Sphinx's dependency: make notebooks LANG=... installs the docs extra

    path = DOCS / "locale" / language / "LC_MESSAGES" / page.relative_to(DOCS).with_suffix(".po")
    with path.open("rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id and m.string and not m.fuzzy}


def translated(markdown, messages):
    """``markdown`` with each paragraph, heading, list item, table cell and image text that ``messages`` translates.

    Sphinx's key for a text block is its source with line breaks as spaces: the
    block is found by its first line and written back on one line, its prefix
    (list marker, indentation) kept.
    """
    lines = markdown.split("\n")
    searched_from = {}  # table cells share a line: the next one is looked for after the last replaced
    for token in MARKDOWN.parse(markdown):
        msgstr = messages.get(token.content.replace("\n", " ").strip()) if token.type == "inline" else None
        if not msgstr or not token.map:
            continue
        first, last = token.map[0], token.map[1] - 1
        content = token.content.split("\n")
        at = lines[first].find(content[0], searched_from.get(first, 0))
        if at < 0:
            continue
        if len(content) == 1:
            lines[first] = lines[first][:at] + msgstr + lines[first][at + len(content[0]):]
        else:
            lines[first] = lines[first][:at] + msgstr
            lines[first + 1:last + 1] = [None] * (last - first)
        searched_from[first] = at + len(msgstr)
    markdown = "\n".join(line for line in lines if line is not None)
    return ALT.sub(lambda m: m.group(1) + messages.get(m.group(2), m.group(2)) + m.group(3), markdown)


def write_notebook(page, out, language=None):
    notebook = jupytext.read(page)
    messages = catalogue(page, language) if language else {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            source = translated(cell.source, messages)
            cell.source = relinked(page, INCLUDE.sub(lambda m: quoted(page, m), source), out)
    target = out / (page.stem + ".ipynb")
    jupytext.write(notebook, target, fmt="ipynb")
    return target


def notebook_pages():
    """The docs pages that have code cells: the ones that are notebooks."""
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "```{code-cell}" in p.read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the docs pages with code cells as notebooks.")
    parser.add_argument("out", nargs="?", default="notebooks", type=Path)
    parser.add_argument("--language", help="the prose in this language, from docs/locale (zh_CN)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for page in notebook_pages():
        print("wrote", write_notebook(page, args.out, args.language))


if __name__ == "__main__":
    main()
