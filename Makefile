# Two commands cover a fresh machine (Python 3.11 and a package index):
#   make study   set everything up, run the study (cpu profile) and write the report
#   make test    set everything up and run the whole test suite
# A virtual environment that is already active is used as it is; otherwise ./.venv is created.
PYTHON ?= python3
PROFILE ?= cpu
WORKERS ?= 2          # worker processes of the study's runs (1 torch thread each on 2 cores)
ifdef VIRTUAL_ENV
BIN := $(VIRTUAL_ENV)/bin
else
BIN := .venv/bin
endif
# CPU machines: torch's CPU build, pinned by constraints-cpu.txt. An installed torch
# (e.g. a CUDA build) is kept: the project only asks for torch>=2.3.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(BIN)/.dephn-setup

.PHONY: setup study test test-fast bench clean-cache

setup: $(STAMP)

$(STAMP): pyproject.toml constraints-cpu.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(patsubst %/bin,%,$(BIN))
	@if $(BIN)/python -c "import torch" 2>/dev/null; then \
	  echo "setup: keeping installed torch $$($(BIN)/python -c 'import torch; print(torch.__version__)')"; \
	else \
	  $(BIN)/python -m pip install -q -c constraints-cpu.txt "$(TORCH_SPEC)"; \
	fi
	$(BIN)/python -m pip install -q -e ".[test,bench,ray]"
	@touch $@

study: setup
	$(BIN)/dephn study --profile $(PROFILE) --workers $(WORKERS)

# the suite, then the study notebooks checked by nbval exactly as a user runs them (smoke profile,
# the notebooks' default, written to outputs/smoke)
test: setup
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval-lax notebooks/

test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not notebooks and not slow"

bench: setup
	$(BIN)/python -m benchmarks.train_bench --peers --out benchmarks

clean-cache:
	rm -rf data/cache
