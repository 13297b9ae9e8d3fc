# Two commands do all the set-up:  make demo  and  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := grassroots-scorecard

.PHONY: install demo test lint bench clean-outputs help lab

help:
	@echo "make demo   - build the environment and run the whole batch on the demo district"
	@echo "make test   - build the environment and run the test suite"
	@echo "make lint   - ruff check, ruff format --check and mypy (the type checker)"
	@echo "make bench  - run the benchmarks and write docs/benchmarks.md"
	@echo "make lab    - JupyterLab on the project kernel (notebooks/explore.ipynb)"

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,demo]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (grassroots-scorecard)"
	touch $(STAMP)

# exit code 3 = completed with findings: the demo district plants bad returns on purpose
demo: $(STAMP)
	$(BIN)/scorecard demo
	$(BIN)/scorecard run --round all; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 3 ] || exit $$rc
	@echo
	@echo "演示完成。报告入口:"
	@for f in reports/*/index.html; do echo "  $(CURDIR)/$$f"; done

test: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -rs -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean-outputs:
	rm -rf data/processed/* reports/*

# JupyterLab on the project's kernel, opened in notebooks/ (explore.ipynb answers typical questions)
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --MappingKernelManager.default_kernel_name=$(KERNEL)
