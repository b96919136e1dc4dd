# nanocosmos.bintu developer and CI entry points.  `make help` lists them.
#
# Two virtualenvs, both built from pinned requirement files under tools/:
#   .venv       ansible-core 2.19 + the whole toolchain (pytest, ansible-lint,
#               antsibull-*, galaxy-importer, ansible-runner, ansible-builder)
#   .venv-2.18  ansible-core 2.18 + test dependencies
# A stamp file in each venv records that it matches its requirement files, so
# re-running `make venv` is a no-op until one of them changes.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
VENV_218 := .venv-2.18
PIP_FLAGS := --quiet --disable-pip-version-check
PIPELINE := $(PYTHON) tools/pipeline.py

.DEFAULT_GOAL := help
.PHONY: help venv test ci sanity units integration lint pytest build demo bench bench-smoke lock changelog clean

help:
	@echo "make demo         run the event demo against the bundled emulator (tools/demo.sh)"
	@echo "make test         the full quality pipeline (what .ci/run calls); prints a stage timing table"
	@echo "make venv         create/refresh .venv (ansible-core 2.19 + tools) and .venv-2.18"
	@echo "make pytest       pytest: unit + emulator + meta + integration on ansible-core 2.19"
	@echo "make sanity       ansible-test sanity on ansible-core 2.19 and 2.18 (copy under <tmp>/ansible_collections)"
	@echo "make units        ansible-test units on ansible-core 2.19 and 2.18"
	@echo "make integration  pytest integration suite on ansible-core 2.19 and 2.18"
	@echo "make lint         ansible-lint (production), antsibull-changelog lint, antsibull-docs lint"
	@echo "make build        build the tarball, install it, ansible-doc every module, galaxy-importer"
	@echo "make bench        full benchmark; make bench-smoke: its quick variant"
	@echo "make changelog    rebuild changelogs/changelog.yaml + CHANGELOG.rst for galaxy.yml's version from all fragments"
	@echo "make lock         re-resolve tools/constraints-*.txt from tools/requirements-*.txt"
	@echo "make clean        remove virtualenvs and build output"

venv: $(VENV)/.stamp $(VENV_218)/.stamp

$(VENV)/.stamp: tools/requirements-dev.txt tools/constraints-2.19.txt requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install $(PIP_FLAGS) -r tools/requirements-dev.txt -r requirements.txt -c tools/constraints-2.19.txt
	@touch $@

$(VENV_218)/.stamp: tools/requirements-2.18.txt tools/constraints-2.18.txt requirements.txt
	@test -x $(VENV_218)/bin/python || $(PYTHON) -m venv $(VENV_218)
	$(VENV_218)/bin/python -m pip install $(PIP_FLAGS) -r tools/requirements-2.18.txt -r requirements.txt -c tools/constraints-2.18.txt
	@touch $@

# The pipeline builds the venvs as its first (timed) stage.
test:
	@$(PIPELINE)

ci: test

pytest: $(VENV)/.stamp
	@$(PIPELINE) pytest

sanity: venv
	@$(PIPELINE) sanity-2.19 sanity-2.18

units: venv
	@$(PIPELINE) units-2.19 units-2.18

integration: venv
	@$(PIPELINE) integration-2.19 integration-2.18

lint: $(VENV)/.stamp
	@$(PIPELINE) ansible-lint changelog-lint docs-lint

build: $(VENV)/.stamp
	@$(PIPELINE) build galaxy-importer

bench-smoke: $(VENV)/.stamp
	@$(PIPELINE) bench-smoke

bench: $(VENV)/.stamp
	$(VENV)/bin/python tests/benchmark/bench.py

demo: $(VENV)/.stamp
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" bash tools/demo.sh

changelog: $(VENV)/.stamp
	bash tools/changelog.sh

lock:
	bash tools/lock.sh

clean:
	rm -rf $(VENV) $(VENV_218) .ansible tests/output dist build
