# dltutorial: every target sets up .venv itself (make test on a fresh machine just works).
VENV   := .venv
PYTHON := $(VENV)/bin/python
SETUP  := $(VENV)/.installed
DOCS_SETUP := $(VENV)/.docs-installed
ARGS   ?=
# Real MNIST beside the checkout (this project's machines) unless the user points elsewhere.
export DLTUTORIAL_DATA ?= $(wildcard $(CURDIR)/../shared/data/mnist)
export DLTUTORIAL_IMDB ?= $(wildcard $(CURDIR)/../shared/data/imdb)

.PHONY: setup test test-all test-pytensor-range docs docs-catalogues notebooks data train-logistic train-logistic-cg train-mlp train-lenet train-da train-sda train-rbm train-dbn \
        train-ca train-hmc train-lstm train-lstm-chars train-rnnslu train-rnnrbm reproduce bench bench-theano clean

setup: $(SETUP)

# PyPI brings everything, PyTensor's BLAS (scipy-openblas32) included: no system packages needed.  uv installs it
# into .venv, from PyPI as pip would, in a fraction of pip's time (README.md).
UV := $(VENV)/bin/uv
$(SETUP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	test -x $(UV) || $(PYTHON) -m pip install -q uv
	$(UV) pip install -q --python $(PYTHON) -e ".[test,jax,reproduce]"
	touch $@

# make test: what a newcomer runs (the c mode, every unit test, every tutorial end to end on tiny data, the docs'
# quotes, one tiny compile in numba and in jax).  make test-all: every case, the mode matrix, notebook pages,
# kill-and-resume processes, longer training runs, bench and reproduce included (CI runs it).  The split is by
# pytest markers (pyproject.toml).
QUICK_CASES := not (backends or notebooks or processes or resume or bench or training or slow)

test: $(SETUP)
	$(PYTHON) -m pytest -q -n auto --dist worksteal --durations=10 -m "$(QUICK_CASES)"

test-all: $(DOCS_SETUP)
	$(PYTHON) -m pytest -q -n auto --dist worksteal --durations=20

# The quick suite against the lowest PyTensor that pyproject.toml claims and the newest it allows (CI runs it),
# each in a virtual environment of its own.
PYTENSOR_LOWEST := 3.0.3
test-pytensor-range: $(SETUP)
	for which in lowest newest; do \
	  venv=.venv-pytensor-$$which; \
	  test -x $$venv/bin/python || python3 -m venv $$venv; \
	  if [ $$which = lowest ]; then pin="pytensor==$(PYTENSOR_LOWEST)"; else pin="pytensor"; fi; \
	  $(UV) pip install -q --python $$venv/bin/python --upgrade -e ".[test]" "$$pin" || exit 1; \
	  $$venv/bin/python -c "import pytensor; print('PyTensor', pytensor.__version__)"; \
	  $$venv/bin/python -m pytest -q -n auto --dist worksteal -m "$(QUICK_CASES)" || exit 1; \
	done

# The teaching site: every page built, every notebook page run (cached until it changes), warnings are errors;
# in English (docs/_build/html) and in Chinese from the catalogues in docs/locale (docs/_build/html/zh_CN).
$(DOCS_SETUP): $(SETUP)
	$(UV) pip install -q --python $(PYTHON) -e ".[docs]"
	touch $@

docs: $(DOCS_SETUP)
	$(PYTHON) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	$(PYTHON) -m sphinx -W --keep-going -q -b html -D language=zh_CN docs docs/_build/html/zh_CN
	@echo "built: open docs/_build/html/index.html (English) or docs/_build/html/zh_CN/index.html (Chinese) in a browser"

# After an English page changes: its messages again (docs/_build/gettext), merged into the Chinese catalogues,
# where new ones are empty and changed ones fuzzy until translated (tests/test_docs_translation.py lists them).
docs-catalogues: $(DOCS_SETUP)
	$(PYTHON) -m sphinx -q -b gettext -D nb_execution_mode=off docs docs/_build/gettext
	$(VENV)/bin/sphinx-intl update -p docs/_build/gettext -d docs/locale -l zh_CN

# Every page with code cells as a Jupyter notebook in notebooks/ (the pages are the source; see docs/notebooks.py);
# make notebooks LANG=zh_CN: in Chinese, in notebooks/zh_CN/.  LANG is also the locale variable, which make would
# pass on to the commands: read here as the notebooks' language, it is kept out of their environment.
NOTEBOOKS_LANG := $(filter-out en,$(if $(filter command line,$(origin LANG)),$(LANG)))
notebooks: $(if $(NOTEBOOKS_LANG),$(DOCS_SETUP),$(SETUP))
	$(if $(NOTEBOOKS_LANG),env -u LANG) $(PYTHON) docs/notebooks.py $(if $(NOTEBOOKS_LANG),--language $(NOTEBOOKS_LANG) notebooks/$(NOTEBOOKS_LANG),notebooks)
	@echo "open them with: jupyter lab notebooks/ (pip install jupyterlab), or any notebook editor"

data: $(SETUP)
	$(PYTHON) -m dltutorial.core.data fetch

train-logistic: $(SETUP)
	$(PYTHON) -m dltutorial logistic_sgd $(ARGS)

train-logistic-cg: $(SETUP)
	$(PYTHON) -m dltutorial logistic_cg $(ARGS)

train-mlp: $(SETUP)
	$(PYTHON) -m dltutorial mlp $(ARGS)

train-lenet: $(SETUP)
	$(PYTHON) -m dltutorial lenet5 $(ARGS)

train-da: $(SETUP)
	$(PYTHON) -m dltutorial dA $(ARGS)

train-sda: $(SETUP)
	$(PYTHON) -m dltutorial SdA $(ARGS)

train-rbm: $(SETUP)
	$(PYTHON) -m dltutorial rbm $(ARGS)

train-dbn: $(SETUP)
	$(PYTHON) -m dltutorial DBN $(ARGS)

train-ca: $(SETUP)
	$(PYTHON) -m dltutorial cA $(ARGS)

train-hmc: $(SETUP)
	$(PYTHON) -m dltutorial hmc $(ARGS)

# IMDB when imdb.pkl is found (see data/README.md), else: make train-lstm ARGS="--data synthetic"
train-lstm: $(SETUP)
	$(PYTHON) -m dltutorial lstm $(ARGS)

train-lstm-chars: $(SETUP)
	$(PYTHON) -m dltutorial lstm_chars $(ARGS)

# ATIS when atis.fold3.pkl.gz is found (see data/README.md), else: make train-rnnslu ARGS="--data synthetic"
train-rnnslu: $(SETUP)
	$(PYTHON) -m dltutorial rnnslu $(ARGS)

# Nottingham when data/Nottingham/train holds its MIDI files (see data/README.md), else music21's Bach chorales
train-rnnrbm: $(SETUP)
	$(PYTHON) -m dltutorial rnnrbm $(ARGS)

# Any tutorial by its command-line name: make run-variational_autoencoder ARGS="--n-epochs 5"
run-%: $(SETUP)
	$(PYTHON) -m dltutorial $* $(ARGS)

# Every tutorial with its published settings on real MNIST, SEEDS=N seeds each (the original's first; default 1), as
# tasks on a local Dask cluster (ARGS="--scheduler ADDRESS": another), then REPRODUCTION.md from the runs' records in
# reproduction/records (QUICK=1: fewer epochs).  Interrupted? Run it again: runs with a record are not run again, the
# others resume after their last finished epoch.
reproduce: $(SETUP)
	$(PYTHON) -m bench.reproduce $(if $(QUICK),--quick) $(if $(SEEDS),--seeds $(SEEDS)) $(if $(DLTUTORIAL_DATA),--data $(DLTUTORIAL_DATA)) $(ARGS)

bench: $(SETUP)
	$(PYTHON) -m bench.run $(ARGS)

# The original Theano LeNet step, timed on Aesara (Theano's fork; Theano no longer installs on
# Python 3.11 with numpy 2), in its own environment.
AESARA := .venv-aesara
$(AESARA)/.installed:
	python3 -m venv $(AESARA)
	$(AESARA)/bin/python -m pip install -q "aesara==2.8.12" "numpy<2" scipy
	@# Aesara 2.8's CorrMM.make_node calls tuple(a, b, c, d): make it the tuple literal it meant
	sed -i 's/^\(\s*\)out_shape = tuple($$/\1out_shape = (/' $(AESARA)/lib/python*/site-packages/aesara/tensor/nnet/corr.py
	touch $@

bench-theano: $(AESARA)/.installed
	AESARA_FLAGS="floatX=float32,blas__ldflags=-lopenblas" $(AESARA)/bin/python bench/theano_lenet.py \
	  --data $(DLTUTORIAL_DATA) $(ARGS)

clean:
	rm -rf $(VENV) $(AESARA) *.egg-info .pytest_cache runs docs/_build notebooks
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
