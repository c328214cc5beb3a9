#!/usr/bin/env bash
# Install netpol-lint with its test dependencies, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m pytest
