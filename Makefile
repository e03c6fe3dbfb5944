# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
BUILD ?= build
DIST ?= dist
BUNDLE := $(DIST)/council-bot-$(VERSION)-offline.tar.gz

.PHONY: run test lint check-config demo bench clean browser lock bundle image

# Every dependency pinned with its hashes (requirements-dev.lock; the bot alone: requirements.lock),
# then the project itself on top without resolving anything again.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@# A dependency added to pyproject.toml but not pinned yet is installed unpinned, loudly,
	@# and tests/project/test_deploy.py fails until `make lock` pins it.
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
		echo "WARNING: requirements-dev.lock does not pin all that pyproject.toml names: run make lock"; \
		$(BIN)/pip install --quiet -e '.[dev]'; }
	touch $(STAMP)

# Re-pin after a change to the dependencies in pyproject.toml (needs the package index).
PIN := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links
lock:
	$(PIN) --output-file requirements.lock pyproject.toml
	$(PIN) --extra dev --output-file requirements-dev.lock pyproject.toml

# One archive for a closed network: every wheel the bot needs, the project's own wheel, the
# pins, SHA256SUMS and install.sh (docs/DEPLOY.md). Built where the package index is reachable.
bundle: $(STAMP)
	rm -rf $(BUILD)/bundle && mkdir -p $(BUILD)/bundle/wheels $(DIST)
	$(BIN)/pip wheel --quiet --require-hashes -r requirements.lock -w $(BUILD)/bundle/wheels
	$(BIN)/pip wheel --quiet --no-deps . -w $(BUILD)/bundle/wheels
	sed -e '/^ *--hash/d' -e 's/ \\$$//' requirements.lock > $(BUILD)/bundle/requirements.txt
	cp deploy/install.sh deploy/council-bot.service docs/DEPLOY.md config.example.toml $(BUILD)/bundle/
	cd $(BUILD)/bundle && sha256sum wheels/*.whl > SHA256SUMS
	tar -C $(BUILD) -czf $(BUNDLE) --transform 's,^bundle,council-bot-$(VERSION),' bundle
	@echo "Offline bundle: $(BUNDLE)"

image:
	docker build -t council-bot:$(VERSION) .

config.toml:
	cp config.example.toml config.toml
	@echo "Made config.toml from config.example.toml. Edit it for your establishment."

# With the token set: the bot on Telegram. Without it: the demo on its own database, with a
# line saying what to set (`python -m bot run` alone refuses to run without a token).
run: $(STAMP) config.toml
	$(BIN)/python -m bot run --or-demo --config config.toml

# The local channel with a demo council, in a browser: no Telegram account or token needed.
demo: $(STAMP) config.toml
	$(BIN)/python -m bot demo --config config.toml

# The browser tests drive Debian's chromium (Playwright for Python comes with the dev extras;
# never `playwright install`, which downloads a browser of its own).
browser:
	@if command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends chromium; \
	else echo "chromium is not installed and this user cannot install it:"; \
		echo "the browser tests will be skipped. Install it with: sudo apt-get install chromium"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint browser
	$(BIN)/python -m bot check-config --config-only --config config.example.toml
	$(BIN)/python -m pytest

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build dist
