# One entry point. Every target creates .venv and installs what is missing, so a
# fresh clone needs nothing but Python 3.11 and make.
#   make book         build the rendered book (warnings are errors)
#   make test         lint, unit and property tests, nbval on every chapter, book build
#   make bench        print the benchmark table
#   make notebooks    re-execute every chapter in place (after changing one)
#   make lab          open the notebooks in JupyterLab
# Set TORCH=0 to skip installing PyTorch, the optional reference implementation.

PYTHON ?= python3
TORCH ?= 1
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
BOOK_HTML := _build/html/index.html
CHAPTERS := $(sort $(wildcard chapters/*.ipynb))

# The kernel that notebooks run in must be this venv's Python.
export PATH := $(BIN):$(PATH)
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: all book test lint unit nbval build-book bench notebooks lab clean

all: book

$(STAMP): requirements.txt requirements-lock.txt requirements-torch.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements-lock.txt -r requirements.txt -e .
	@if [ "$(TORCH)" = 1 ]; then \
		$(BIN)/python -m pip install --quiet -r requirements-torch.txt \
		|| echo "PyTorch could not be installed: the tests that compare with it will be skipped."; \
	fi
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dropout book)" >/dev/null
	@touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo
	@echo "The book is built: open $(abspath $(BOOK_HTML))"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(STAMP)
	$(BIN)/python -m pytest tests

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env $(CHAPTERS)

build-book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

test: lint unit nbval build-book
	@echo "make test: every check passed"

bench: $(STAMP)
	$(BIN)/python tests/benchmark.py

notebooks: $(STAMP)
	$(BIN)/python -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.kernel_name=python3 $(CHAPTERS)

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements-lock.txt "jupyterlab>=4"
	$(BIN)/jupyter lab chapters

clean:
	rm -rf _build
