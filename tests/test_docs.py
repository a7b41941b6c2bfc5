"""The docs: every page with code cells runs top to bottom as a notebook, quotes live code and links to files.

Each such page is a MyST notebook (jupytext reads it); nbclient runs it in a
fresh kernel in a scratch folder, as a student would run ``make notebooks``'
output, and any error fails the test with the cell's message.
"""

import importlib.util
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from dltutorial.__main__ import TUTORIALS

DOCS = Path(__file__).resolve().parent.parent / "docs"
_spec = importlib.util.spec_from_file_location("make_notebooks", DOCS / "notebooks.py")  # what make notebooks runs
make_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_notebooks)
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
NOTEBOOKS = make_notebooks.notebook_pages()
INCLUDE = make_notebooks.INCLUDE
LINK = re.compile(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)")


def linked_files(markdown):
    """The relative targets of the links and images in ``markdown``'s prose (code blocks and spans left out)."""
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M))
    return LINK.findall(prose)


def test_every_tutorial_page_is_a_notebook_quoting_its_code():
    tutorial_pages = sorted((DOCS / "tutorials").glob("*.md"))
    assert len(tutorial_pages) >= 16 and set(tutorial_pages) <= set(NOTEBOOKS)
    modules = {module for module, _, _ in TUTORIALS.values()}
    quoted = {Path(m.group(1)).stem for page in tutorial_pages for m in INCLUDE.finditer(page.read_text())}
    assert modules <= quoted, f"tutorials whose page quotes none of their code: {sorted(modules - quoted)}"


@pytest.mark.notebooks
@pytest.mark.parametrize("page", NOTEBOOKS, ids=[str(p.relative_to(DOCS)) for p in NOTEBOOKS])
def test_page_runs_as_a_notebook(page, tmp_path):
    notebook = jupytext.read(page)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as error:  # the cell's source and its traceback, without the kernel's noise
        pytest.fail(f"{page.relative_to(DOCS)}: a cell failed:\n{error}", pytrace=False)


QUOTING = [page for page in PAGES if INCLUDE.search(page.read_text())]


def test_the_pages_that_teach_code_quote_it():
    """Every tutorial page quotes live code; the other pages (data, modes, reproduction ...) may quote none."""
    expected = set((DOCS / "tutorials").glob("*.md"))
    assert not expected - set(QUOTING), f"pages that quote no code: {sorted(map(str, expected - set(QUOTING)))}"


@pytest.mark.parametrize("page", QUOTING, ids=[str(p.relative_to(DOCS)) for p in QUOTING])
def test_quoted_code_is_live_code(page):
    """Every ``literalinclude`` names a file of the project and markers that are in it, each once."""
    matches = list(INCLUDE.finditer(page.read_text()))
    assert matches
    for match in matches:
        source = (page.parent / match.group(1)).resolve()
        assert source.is_file(), f"{page.name} quotes missing {match.group(1)}"
        text = source.read_text()
        for option, marker in re.findall(r"^:(start-after|end-before): (.+)$", match.group(2), re.M):
            assert text.count(marker) == 1, f"{page.name}: {marker!r} is in {source.name} {text.count(marker)} times"


def test_docs_links_point_to_files():
    for page in PAGES:
        for target in linked_files(page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(DOCS)} links to missing {target}"


def test_make_notebooks_writes_the_pages_with_their_quoted_code(tmp_path):
    """``make notebooks``: one notebook per page, the quotes filled in from the live code, links that resolve."""
    make_notebooks.main([str(tmp_path)])
    written = sorted(tmp_path.glob("*.ipynb"))
    assert [p.stem for p in written] == sorted(p.stem for p in NOTEBOOKS)
    for path in written:
        notebook = nbformat.read(path, as_version=4)
        markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        assert "{literalinclude}" not in markdown, path.name
        for target in linked_files(markdown):
            assert (tmp_path / target).exists(), f"{path.name} links to missing {target}"
        page = next(p for p in NOTEBOOKS if p.stem == path.stem)
        assert [c.source for c in notebook.cells if c.cell_type == "code"] == \
            [c.source for c in jupytext.read(page).cells if c.cell_type == "code"]  # the page's cells, unchanged
    dA = nbformat.read(tmp_path / "dA.ipynb", as_version=4)
    assert "def get_corrupted_input(self, input, corruption_level):" in dA.cells[0].source
