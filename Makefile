# Two commands set everything up on a fresh machine (Python 3.11 + pip):
#   make reports   demo data (or INPUT=...) -> computed, suppressed tables and every kommune's report
#   make test      the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INPUT  ?=
AAR    ?= 2024
OUT    ?= reports/output
JOBS   ?= 2
STAMP  := $(VENV)/.installed

.PHONY: reports test demo-data compute benchmark clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

demo-data: $(STAMP)
	@test -n "$(INPUT)" || test -f reports/demo/demo_uttrekk.csv || $(BIN)/kvi demo-data --out reports/demo/demo_uttrekk.csv

reports: $(STAMP) demo-data
	$(BIN)/kvi reports --input $(if $(INPUT),$(INPUT),reports/demo/demo_uttrekk.csv) --aar $(AAR) --out $(OUT) --jobs $(JOBS)

compute: $(STAMP) demo-data
	$(BIN)/kvi compute --input $(if $(INPUT),$(INPUT),reports/demo/demo_uttrekk.csv) --out $(OUT)/tabeller

test: $(STAMP)
	$(BIN)/python -m pytest

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_compute.py
	$(BIN)/python benchmarks/bench_suppression.py
	$(BIN)/python benchmarks/bench_reports.py

clean:
	rm -rf $(OUT) reports/demo
