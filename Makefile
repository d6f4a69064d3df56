# Set-up and every job of the workbook. `make demo` and `make test` work on a fresh machine with
# Python 3 and pip: they create .venv, install the project with the pinned versions of
# constraints.txt, and run.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test figures lab lint clean-smoke help

help:
	@echo "make demo     run every notebook offline on stand-in data (demo profile), write figures/demo/"
	@echo "make test     unit tests + every notebook under nbval + widgets in a browser (smoke profile)"
	@echo "make figures  run every notebook on the real datasets (full profile; GPU recommended), write figures/full/"
	@echo "make lab      open JupyterLab on notebooks/"
	@echo "make lint     ruff over helpers, tests, benchmarks and notebooks"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m helpers run --profile demo --data synthetic

figures: $(STAMP)
	$(PY) -m helpers run --profile full --data real

# Unit tests, nbval and the browser tests share one pytest run (tests/test_browser.py drives a
# system Chromium through playwright, or the one WORKBOOK_CHROMIUM names, and skips with the
# reason when there is none). The root conftest.py (which nbval's kernels inherit) sets the smoke
# profile, stand-in data and WORKBOOK_OFFLINE=1, and sends the smoke runs' figures and
# checkpoints to build/ so that the committed figures/ are left alone.
# `python -m helpers run` writes each profile's outputs to its own folder: figures/demo,
# figures/full, figures/smoke (not committed), figures/<profile>-<data> for another data source.
test: $(STAMP)
	$(PY) -m ruff check helpers tests benchmarks notebooks
	WORKBOOK_PROFILE=smoke $(PY) -m pytest --nbval-lax tests notebooks

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

lint: $(STAMP)
	$(PY) -m ruff check helpers tests benchmarks notebooks
