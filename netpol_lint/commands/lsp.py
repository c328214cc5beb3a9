"""Language server on stdio (editors: docs/editors.md; needs the lsp extra)."""
from __future__ import annotations

import gc
import importlib
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
    from ..lsp import start
    from ..options import Options

    options = Options.from_args(args)
    # The client's first message (``initialize``) names the workspace: it is read and loaded
    # now, and the server module (pygls, lsprotocol) is imported while the parse workers work
    # (lsp/start.py).  The collector stays paused for the load, as for a CLI run.
    stdin = getattr(sys.stdin, "buffer", None)
    first, message = start.read_message(stdin) if stdin is not None else (b"", None)
    preloaded = start.preload(message, options, meanwhile=_import_server)
    _import_server()
    from ..lsp.server import serve

    # The loaded workspace and the imported modules live as long as the server: out of the
    # collector's way (no full collection first: the load makes no cycles, the import ran
    # with the collector on).  initialized freezes again after a load made there.
    gc.freeze()
    gc.enable()          # cli.main pauses the collector for one run; a server runs for hours
    return serve(options, stdin=start.Replay(first, stdin) if stdin is not None else None, preloaded=preloaded)


def _import_server() -> None:
    """Import the server (pygls, lsprotocol) with the collector on: creating their thousand
    attrs classes leaves ~17,000 objects of cyclic garbage, 9 MB that the paused collector
    would keep until the next full collection (measured: 57 MB resident after the import
    with it paused, 48 MB with it on, the same CPU)."""
    if "netpol_lint.lsp.server" in sys.modules:
        return
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        importlib.import_module("netpol_lint.lsp.server")
    finally:
        if not was_enabled:
            gc.disable()
    from ..lsp.start import drop_generated_sources
    drop_generated_sources()
