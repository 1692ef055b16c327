# The two commands for a new user: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo_data
DEMO_TRAIN ?= 100000
DEMO_EVAL ?= 20000

.PHONY: install demo test bench lint clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e .[dev]
	$(BIN)/python -m pip install -q --no-deps mup==1.0.0
	# puma-hep (the plots of `halite evaluate`) pins numpy<2.4, matplotlib<3.11 and pulls tables, pydot,
	# testfixtures, pyyaml-include that its plotting never imports; what it does import is in pyproject.toml
	$(BIN)/python -m pip install -q --no-deps puma-hep==0.5.6 atlas-ftag-tools==0.3.6
	@if $(BIN)/python -m pip show torchvision >/dev/null 2>&1; then \
		echo "ERROR: torchvision is installed in $(VENV); it breaks 'import lightning' here. Remove it: $(BIN)/pip uninstall -y torchvision"; exit 1; fi
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/halite synth --out-dir $(DEMO_DIR) --num-train $(DEMO_TRAIN) --num-val $(DEMO_EVAL) --num-test $(DEMO_EVAL)
	$(BIN)/halite prep --config configs/demo.yaml
	$(BIN)/halite fit --config configs/demo.yaml
	$(BIN)/halite test --config $$(ls -td logs/demo_* | head -1)/config.yaml
	$(BIN)/halite evaluate $$(ls -td logs/demo_* | head -1)/predictions/*.h5 --tagger demo

test: $(STAMP)
	@if $(BIN)/python -m pip show torchvision >/dev/null 2>&1; then \
		echo "ERROR: torchvision is installed in $(VENV); it breaks 'import lightning' here. Remove it: $(BIN)/pip uninstall -y torchvision"; exit 1; fi
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n auto

# Benchmarks print numbers; never part of `make test`. vs_salt.py installs salt 0.13 into
# bench/.venv-salt on first use.
bench: $(STAMP)
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/limits.py
	$(BIN)/python bench/loader.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/vs_salt.py
	$(BIN)/python bench/vs_omnilearned.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

clean:
	rm -rf $(DEMO_DIR) logs
