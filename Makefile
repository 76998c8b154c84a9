# pressdesk: `make run` for the desk with worker and beat, `make test` for the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium

.PHONY: run setup db demo test test-fast lint tools browser wheel bench bench-tools bench-portal clean translations

run: demo
	PORT=$(PORT) $(BIN)/pressdesk dev --port $(PORT)

$(STAMP): pyproject.toml constraints.txt tests/js/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	if command -v npm >/dev/null; then (cd tests/js && npm ci --silent); fi
	touch $@

setup: $(STAMP)

db: setup
	$(BIN)/pressdesk db upgrade

demo: db
	$(BIN)/pressdesk demo

# Debian packages the suite drives: chromium for the browser tests (Playwright never downloads a
# browser), exiftool to read back photo metadata, a Java runtime for the Nu Html Checker.
# Installed when missing and running as root; otherwise the command to run is printed.
TOOLS := $(CHROMIUM):chromium /usr/bin/exiftool:libimage-exiftool-perl /usr/bin/java:default-jre-headless
tools:
	@missing=""; for t in $(TOOLS); do [ -x "$${t%%:*}" ] || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing); \
	  else echo "missing Debian packages: sudo apt-get install$$missing"; fi; \
	fi

browser: tools

test: setup tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

# ruff on everything; mypy on pressdesk/ and workers/ (config and scope in pyproject.toml).
lint: setup
	$(BIN)/ruff check pressdesk workers tests bench
	$(BIN)/mypy

wheel: setup
	$(BIN)/python -m pip wheel --no-deps -w dist .

# Fan-out benchmark (bench/fanout.py --help): Postfix's smtp-sink is the relay. Installed when
# missing and running as root ("No configuration": no mail system is set up or started).
SMTP_SINK ?= /usr/sbin/smtp-sink
bench-tools:
	@if [ ! -x $(SMTP_SINK) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix); \
	  else echo "smtp-sink missing: sudo apt-get install postfix (choose 'No configuration')"; exit 1; fi; \
	fi

bench: setup bench-tools
	$(BIN)/python bench/fanout.py $(BENCH_ARGS)

# Portal benchmark: 100,000 releases in PostgreSQL (PRESSDESK_BENCH_DB), gunicorn + wrk on loopback.
bench-portal: setup
	$(BIN)/python bench/portal.py $(if $(PRESSDESK_BENCH_DB),--db $(PRESSDESK_BENCH_DB)) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance dist build *.egg-info

# UI strings: German msgids extracted from pressdesk/ and templates/, the English catalogue
# updated (existing translations kept; new strings stay empty = shown in German) and compiled.
I18N := pressdesk/translations
translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output \
	  --project pressdesk --copyright-holder "pressdesk contributors" -o $(I18N)/messages.pot .
	test -f $(I18N)/en/LC_MESSAGES/messages.po || $(BIN)/pybabel init -i $(I18N)/messages.pot -d $(I18N) -l en
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) -l en --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(I18N) --statistics
