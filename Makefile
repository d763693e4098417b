# Every target bootstraps .venv from the lock file when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: preview test lint typecheck unit bench lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

preview: $(STAMP)
	$(BIN)/aksflow preview

lint: $(STAMP)
	$(BIN)/ruff check aksflow infra policies tests bench
	$(BIN)/ruff format --check aksflow infra policies tests bench
	$(BIN)/mypy
	$(BIN)/zizmor --offline --no-progress .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/shellcheck .ci/run $(wildcard .github/scripts/*.sh)

test: lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/preview_bench.py
	$(BIN)/python bench/policy_bench.py
	$(BIN)/python bench/diff_bench.py

# Re-resolve the pinned ranges in pyproject.toml into exact versions.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache .pytest_cache
