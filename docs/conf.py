"""Sphinx settings for the dltutorial site: MyST markdown pages, each tutorial page a notebook (MyST-NB).

``make docs`` builds it into docs/_build/html with warnings as errors, and
again with ``-D language=zh_CN`` into docs/_build/html/zh_CN from the
catalogues in docs/locale (the English pages are the one source).  The
tutorial pages are MyST notebooks: their ``code-cell`` blocks run when the
site is built (outputs cached in docs/_build/.jupyter_cache until a page
changes), and ``make notebooks`` turns the same files into ``.ipynb``.
"""

import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform

project = "dltutorial"
author = "the dltutorial authors"
# MathJax served from the site itself (sphinx-mathjax-offline bundles it): equations render offline too
extensions = ["myst_nb", "sphinx.ext.mathjax", "sphinx-mathjax-offline"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "notebooks"]
root_doc = "index"

# Notebooks: run at build time, cached; an error in a cell fails the build.
nb_execution_mode = "cache"
nb_execution_cache_path = str(Path(__file__).parent / "_build" / ".jupyter_cache")
nb_execution_in_temp = True  # what the cells write (tiny data, run folders) stays out of docs/
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True

html_theme = "furo"
html_title = "dltutorial: the Deep Learning Tutorials on PyTensor"

# Translations (make docs builds docs/_build/html/zh_CN with -D language=zh_CN): one catalogue per page in
# docs/locale/<language>/LC_MESSAGES, without source lines, so an English edit elsewhere on a page leaves it alone.
locale_dirs = ["locale"]
gettext_compact = False
gettext_location = False
templates_path = ["_templates"]  # page.html: the link to the page's twin in the other language
TITLES = {"zh_CN": "dltutorial：基于 PyTensor 的深度学习教程"}

WORD = re.compile(r"[^\W\d_]")
MATHS_AND_CODE = (nodes.math, nodes.math_block, nodes.literal, nodes.literal_block, nodes.raw)


class SharedText(SphinxTransform):
    """Keeps equations and text without words outside its code and maths (numbers, commands) out of the catalogues.

    Both languages show them as written, so a translator neither copies nor retypes them.
    """

    default_priority = 15  # before Sphinx's Locale transform (20) reads the catalogues

    def apply(self, **kwargs):
        for node in self.document.findall(nodes.TextElement):
            if isinstance(node, nodes.math_block) or not WORD.search(prose(node)):
                node["translatable"] = False


def prose(node):
    """The text of ``node`` less its code and maths."""
    if isinstance(node, MATHS_AND_CODE):
        return ""
    if isinstance(node, nodes.Text):
        return str(node)
    return "".join(prose(child) for child in node.children)


def translated_title(app, config):
    """The Chinese site's title, from the language given on the command line."""
    config.html_title = TITLES.get(config.language, config.html_title)


def setup(app):
    app.add_transform(SharedText)
    app.connect("config-inited", translated_title)
