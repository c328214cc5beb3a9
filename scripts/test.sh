#!/usr/bin/env bash
# Install netpol-lint with its test dependencies, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Headless Chromium (Debian package) for the connectivity HTML test; as root with apt only.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/dev/null 2>&1 \
    || echo "note: could not install chromium; the HTML graph test will be skipped" >&2
fi
NETPOL_LINT_TEST_CLI=subprocess python3 -m pytest    # every CLI test through the real console entry (tests/conftest.py)
