# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check-config demo bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

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
	rm -rf $(VENV) .mypy_cache .ruff_cache
