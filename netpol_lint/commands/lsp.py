"""Language server on stdio (editors: docs/editors.md; needs the lsp extra)."""
from __future__ import annotations

import gc
import sys


def add_arguments(p) -> None:
    p.add_argument("--stdio", action="store_true",
                   help="talk LSP over standard input/output (the default and only transport)")
    p.add_argument("--select", default="", metavar="RULES", help="comma-separated rule ids or names to run")
    p.add_argument("--ignore", default="", metavar="RULES", help="comma-separated rule ids or names to skip")


def run(args) -> int:
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        print("netpol-lint: error: the language server needs pygls and lsprotocol: "
              "install netpol-lint[lsp] (pip install 'netpol-lint[lsp]')", file=sys.stderr)
        return 2
    from ..lsp.server import serve
    from ..options import Options

    options = Options.from_args(args)
    gc.enable()          # cli.main pauses the collector for one run; a server runs for hours
    return serve(options)
