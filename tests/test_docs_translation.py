"""The Chinese site: every message of every page translated, the Chinese build clean, the Chinese notebooks whole.

The English pages are the source; docs/locale/zh_CN holds one gettext
catalogue per page.  After an English edit, ``make docs-catalogues`` merges the
new messages in (empty, or fuzzy where a message changed) and the first test
here names each one until it is translated.  Building the site takes minutes,
so these run in ``make test-all`` (the slow marker), which installs the docs extra.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CATALOGUES = DOCS / "locale" / "zh_CN" / "LC_MESSAGES"
_spec = importlib.util.spec_from_file_location("make_notebooks", DOCS / "notebooks.py")  # what make notebooks runs
make_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_notebooks)

pytestmark = pytest.mark.slow


def sphinx(*args):
    """Run ``python -m sphinx`` on docs/ with ``args``; a failure shows Sphinx's messages."""
    pytest.importorskip("sphinx", reason="the docs extra is not installed (make test-all installs it)")
    done = subprocess.run([sys.executable, "-m", "sphinx", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]


def translations(page):
    """``page``'s translated, non-fuzzy messages (``page`` a docname such as tutorials/dA)."""
    po = CATALOGUES / f"{page}.po"
    return make_notebooks.catalogue(DOCS / f"{page}.md", "zh_CN") if po.exists() else {}


def has_words(message):
    """Whether a message has words to translate: one without letters (``1.35 ± 0.04``, a range) reads the same."""
    return any(c.isalpha() for c in message)


def test_every_message_of_every_page_is_translated(tmp_path):
    """The messages of the pages as they are now, each with a translation that is not fuzzy."""
    sphinx("-q", "-b", "gettext", "-D", "nb_execution_mode=off", DOCS, tmp_path)
    from babel.messages.pofile import read_po

    templates = sorted(tmp_path.rglob("*.pot"))
    assert len(templates) >= 24  # every page: the 16 tutorial pages and the 8 around them
    missing = []
    for template in templates:
        page = template.relative_to(tmp_path).with_suffix("").as_posix()
        done = translations(page)
        with template.open("rb") as pot:
            missing += [f"{page}: {m.id[:100]}" for m in read_po(pot) if has_words(m.id) and m.id not in done]
    assert not missing, (f"{len(missing)} messages untranslated or fuzzy; run make docs-catalogues and translate "
                         "them in docs/locale/zh_CN/LC_MESSAGES:\n" + "\n".join(missing))


def test_the_chinese_site_builds_without_warnings(tmp_path):
    """What ``make docs`` builds into docs/_build/html/zh_CN: Chinese pages that link to their English twins."""
    sphinx("-W", "--keep-going", "-q", "-b", "html", "-D", "language=zh_CN", DOCS, tmp_path)
    page = (tmp_path / "tutorials" / "dA.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN" data-content_root' in page and "降噪自动编码器" in page
    assert '<a href="../../tutorials/dA.html" hreflang="en" lang="en">English</a>' in page
    assert '<a href="../index.html" hreflang="en"' in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_chinese_notebooks_have_every_translation_and_the_pages_code(tmp_path):
    """``make notebooks LANG=zh_CN``: each notebook page in Chinese prose around the English page's own cells."""
    pytest.importorskip("babel", reason="the docs extra is not installed (make test-all installs it)")
    make_notebooks.main(["--language", "zh_CN", str(tmp_path)])
    for page in make_notebooks.notebook_pages():
        notebook = nbformat.read(tmp_path / f"{page.stem}.ipynb", as_version=4)
        markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        docname = page.relative_to(DOCS).with_suffix("").as_posix()
        shown = {m: make_notebooks.relinked(page, s, tmp_path) for m, s in translations(docname).items() if s != m}
        absent = [m for m, s in shown.items() if s not in markdown]  # the links in them point from the notebooks
        assert not absent, f"{page.stem}.ipynb lacks the translations of: {absent}"
        assert [c.source for c in notebook.cells if c.cell_type == "code"] == \
            [c.source for c in jupytext.read(page).cells if c.cell_type == "code"]


def test_make_notebooks_lang_is_the_notebooks_language_not_the_locale():
    """``make notebooks LANG=zh_CN`` asks docs/notebooks.py for Chinese and runs it without that LANG."""
    dry_run = subprocess.run(["make", "-n", "-C", str(ROOT), "notebooks", "LANG=zh_CN"],
                             capture_output=True, text=True, check=True).stdout
    assert "env -u LANG " in dry_run and "docs/notebooks.py --language zh_CN notebooks/zh_CN" in dry_run
    english = subprocess.run(["make", "-n", "-C", str(ROOT), "notebooks"], capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, check=True).stdout
    assert "docs/notebooks.py notebooks" in english and "--language" not in english
