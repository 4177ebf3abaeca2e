# One entry point. Every target creates .venv and installs what is missing, so a
# fresh clone needs nothing but Python 3.11 and make.
#   make book         build the rendered book (warnings are errors)
#   make check        quick check while working (well under a minute): ruff check,
#                     ruff format --check and the tests not marked slow
#   make test         everything: lint, all unit/property/classroom tests (slow ones
#                     too), nbval on every chapter (the only run of the chapters), the
#                     book build from the verified outputs, then the browser test
#   make assets       fetch MathJax and axe-core with npm (the book works offline)
#   make browser      only the browser test (after build-book)
#   make bench        print the benchmark table
#   make assignments  build the classroom kit (otter assign) into assignments/build/
#                     (SECRET=... for a course variant of the hidden tests)
#   make notebooks    re-execute every chapter in place (after changing one)
#   make lab          open the notebooks in JupyterLab (with jupyterlab-myst)
#
# PyTorch is an optional reference that only tests and benchmarks compare with; no
# chapter runs it. TORCH=1 (the default) installs it for `unit`, `check`, `test`
# and `bench`; TORCH=0 runs them without it (its tests skip). The choice is
# remembered in .venv/.torch-0 or .venv/.torch-1, so switching is one command
# either way: `make TORCH=0 test` removes PyTorch from an existing .venv (and never
# installs it in a fresh one), a later `make test` installs it again.

PYTHON ?= python3
TORCH ?= 1
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.lab-installed
TORCH_STAMP := $(VENV)/.torch-$(TORCH)
BOOK_HTML := _build/html/index.html
CHAPTERS := $(sort $(wildcard chapters/*.ipynb))
# Browser assets from the npm registry (package-lock.json), copied where the book
# build picks them up (_config.yml: html_extra_path, mathjax_path).
VENDOR := _vendor/_static/vendor
ASSETS_STAMP := $(VENDOR)/.installed
MATHJAX := node_modules/mathjax/es5
# apt-get needs root: use sudo unless we already are root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The kernel that notebooks run in must be this venv's Python.
export PATH := $(BIN):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: all book check test lint unit nbval build-book browser chromium bubblewrap assets bench assignments notebooks lab clean

ifeq ($(filter $(TORCH),0 1),)
$(error TORCH must be 0 or 1, but got TORCH=$(TORCH))
endif

all: book

# Everything but PyTorch, at the lock's versions (requirements.txt's lower bounds,
# which tests/test_packaging.py holds equal to the lock), and dropout_lib editable.
$(STAMP): requirements.txt requirements-lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements-lock.txt -r requirements.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dropout book)" >/dev/null
	@touch $@

$(VENV)/.torch-1: $(STAMP) requirements-torch.txt
	@rm -f $(VENV)/.torch-0
	$(BIN)/python -m pip install --quiet -r requirements-torch.txt \
		|| echo "PyTorch could not be installed: the tests that compare with it will be skipped."
	@touch $@

$(VENV)/.torch-0: $(STAMP)
	@rm -f $(VENV)/.torch-1
	@if $(BIN)/python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)'; then \
		echo "TORCH=0: removing PyTorch from $(VENV), so that the tests run without it (make TORCH=1 installs it again)"; \
		$(BIN)/python -m pip uninstall --quiet --yes torch; \
	fi
	@touch $@

# MathJax: the combined TeX/MathML-to-HTML component, its fonts, and the parts it
# loads lazily (TeX extensions, menu, accessibility, speech rules).
$(ASSETS_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y npm)
	npm ci --ignore-scripts --no-audit --no-fund
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/mathjax/output/chtml $(VENDOR)/mathjax/input/tex
	cp node_modules/mathjax/LICENSE $(MATHJAX)/tex-mml-chtml.js $(VENDOR)/mathjax/
	cp -r $(MATHJAX)/output/chtml/fonts $(VENDOR)/mathjax/output/chtml/
	cp -r $(MATHJAX)/input/tex/extensions $(VENDOR)/mathjax/input/tex/
	cp -r $(MATHJAX)/a11y $(MATHJAX)/sre $(MATHJAX)/ui $(VENDOR)/mathjax/
	@touch $@

assets: $(ASSETS_STAMP)

book: $(STAMP) $(ASSETS_STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo
	@echo "The book is built: open $(abspath $(BOOK_HTML))"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The quick loop: lint and every test not marked slow (no chapter, book or browser).
check: lint $(TORCH_STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser -m "not slow" -q

unit: $(TORCH_STAMP) bubblewrap
	$(BIN)/python -m pytest tests --ignore=tests/browser

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env $(CHAPTERS)

build-book: $(STAMP) $(ASSETS_STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# Debian's bubblewrap: the sandbox each submission is graded in (assignments/grade.py;
# the classroom tests grade through it).
bubblewrap:
	@command -v bwrap >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y bubblewrap)

# Debian's Chromium, driven by Playwright for Python (no browser download).
chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

# Visits every page of the built book: console errors, failed or off-site
# requests, images, math, widget fallbacks, axe-core; screenshots go to
# _build/html/_screenshots/.
browser: $(STAMP) $(LAB_STAMP) $(ASSETS_STAMP) chromium build-book
	BOOK_HTML_DIR=_build/html $(BIN)/python -m pytest tests/browser

test: lint unit nbval build-book browser
	@echo "make test: every check passed"

bench: $(TORCH_STAMP)
	$(BIN)/python tests/benchmark.py

# The classroom kit (assignments/build.py). For each master notebook
# assignments/NN_name.ipynb, otter assign writes assignments/build/NN_name/student/
# (notebook with public tests) and assignments/build/NN_name/autograder/ (solutions,
# all tests, the autograder zip that assignments/grade.py and Gradescope take). The
# student notebook is also copied to classroom/ for the book.
# `make assignments SECRET=...` builds a course variant: the hidden tests' inputs and
# expected values depend on the secret (classroom/ is then left as it is).
assignments: $(STAMP)
	$(BIN)/python assignments/build.py $(if $(SECRET),--secret "$(SECRET)")

notebooks: $(STAMP)
	$(BIN)/python -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.kernel_name=python3 \
		--ExecutePreprocessor.store_widget_state=False $(CHAPTERS)

# JupyterLab with jupyterlab-myst, pinned in requirements-lab.txt, so that MyST
# (admonitions, dropdowns, {doc} and {cite} roles) renders instead of showing as
# raw text, and exercise solutions stay folded. The browser test opens chapter 5
# in it (tests/browser/test_jupyterlab.py), so `make browser` installs it too.
$(LAB_STAMP): $(STAMP) requirements-lab.txt
	$(BIN)/python -m pip install --quiet -c requirements-lock.txt -r requirements-lab.txt
	@touch $@

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab chapters

clean:
	rm -rf _build _vendor
