"""The docs' code runs as shown: every ```python block of docs/*.md, in order, page by page (issue 9).

Each page's blocks share one namespace, run in a scratch folder, with ``DATA``
naming a tiny MNIST-like IDX folder for the blocks that train on data.
"""

import re
from pathlib import Path

import pytest

from .tiny_data import write_idx_folder

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page):
    return BLOCK.findall(page.read_text())


def test_the_docs_have_pages_with_code():
    assert len(PAGES) >= 15
    assert sum(bool(python_blocks(p)) for p in PAGES) >= 12


PAGES_WITH_CODE = [page for page in PAGES if python_blocks(page)]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=[str(p.relative_to(DOCS)) for p in PAGES_WITH_CODE])
def test_page_code_runs(page, tmp_path, monkeypatch):
    blocks = python_blocks(page)
    monkeypatch.chdir(tmp_path)
    namespace = {"DATA": str(write_idx_folder(tmp_path / "idx")), "__name__": "__docs__"}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{page.name} block {number}", "exec"), namespace)
        except Exception as error:  # name the page and block, not just the line
            raise AssertionError(f"{page.relative_to(DOCS)}, python block {number}: {error!r}") from error


def test_docs_links_point_to_files():
    for page in PAGES:
        prose = re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M))
        for target in re.findall(r"\]\(([^)#:]+)\)", prose):
            assert (page.parent / target).exists(), f"{page.relative_to(DOCS)} links to missing {target}"
