"""Sphinx settings for the dltutorial site: MyST markdown pages, each tutorial page a notebook (MyST-NB).

``make docs`` builds it into docs/_build/html with warnings as errors.  The
tutorial pages are MyST notebooks: their ``code-cell`` blocks run when the
site is built (outputs cached in docs/_build/.jupyter_cache until a page
changes), and ``make notebooks`` turns the same files into ``.ipynb``.
"""

from pathlib import Path

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
