# Two commands set everything up on a fresh machine (Python 3.11 + pip):
#   make reports   demo data (or INPUT=...) -> computed, suppressed tables and every kommune's report
#   make test      the test suite
# Both install exactly the versions in requirements.lock (with hashes); `make lock` refreshes it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
INPUT  ?=
AAR    ?= 2024
OUT    ?= reports/output
JOBS   ?= 2
BESKYTTELSE ?= intervall
TREAAR ?= ja
STAMP  := $(VENV)/.installed
# The lock is resolved for this interpreter and platform (see README, "Set-up").
LOCK_PYTHON   := 3.11
LOCK_PLATFORM := x86_64-unknown-linux-gnu

.PHONY: reports test lint lock demo-data compute benchmark clean

$(STAMP): pyproject.toml setup.py kvi_core/disclosure/_gauss.cpp $(LOCK)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

demo-data: $(STAMP)
	@test -n "$(INPUT)" || test -f reports/demo/demo_uttrekk.csv || $(BIN)/kvi demo-data --out reports/demo/demo_uttrekk.csv

reports: $(STAMP) demo-data
	$(BIN)/kvi reports --input $(if $(INPUT),$(INPUT),reports/demo/demo_uttrekk.csv) --aar $(AAR) --out $(OUT) --jobs $(JOBS) --beskyttelse $(BESKYTTELSE) $(if $(filter nei,$(TREAAR)),--ingen-treaarstall,)

compute: $(STAMP) demo-data
	$(BIN)/kvi compute --input $(if $(INPUT),$(INPUT),reports/demo/demo_uttrekk.csv) --out $(OUT)/tabeller --intern $(OUT)-intern

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/vulture
	$(BIN)/python tools/environment_from_lock.py --check

# Resolve pyproject.toml's dependencies into the lock (keeping locked versions that still fit;
# `make lock UPGRADE=1` takes the newest inside the bounds) and regenerate environment.yml from it.
# Needs uv: the one in .venv after `make test`, or UV=/path/to/uv.
UV ?= $(if $(wildcard $(BIN)/uv),$(BIN)/uv,uv)
lock:
	$(UV) pip compile pyproject.toml --extra test --extra lint --group build --generate-hashes \
	  --python-version $(LOCK_PYTHON) --python-platform $(LOCK_PLATFORM) \
	  --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) --quiet -o $(LOCK)
	$(PYTHON) tools/environment_from_lock.py

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_compute.py
	$(BIN)/python benchmarks/bench_suppression.py
	$(BIN)/python benchmarks/bench_reports.py

clean:
	rm -rf $(OUT) $(OUT)-intern reports/demo
