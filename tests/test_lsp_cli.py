"""``netpol-lint lsp`` without the lsp extra: one line naming the extra, exit 2 (issue 19)."""
from __future__ import annotations

import subprocess
import sys

HIDE = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
        "from netpol_lint.cli import main; sys.exit(main(['lsp']))")


def test_missing_extra_is_one_clear_line_and_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-c", HIDE], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["netpol-lint: error: the language server needs pygls and lsprotocol: "
                                     "install netpol-lint[lsp] (pip install 'netpol-lint[lsp]')"]


def test_listed_as_a_subcommand():
    r = subprocess.run([sys.executable, "-m", "netpol_lint", "--help"], capture_output=True, text=True, timeout=60)
    assert "lsp" in r.stdout
