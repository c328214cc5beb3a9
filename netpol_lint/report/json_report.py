"""JSON output, exactly the shape of CONTRACT.md ("JSON output")."""
from __future__ import annotations


from .. import __version__
from . import ReportInput
from .fastjson import dumps_indent2


def document(inp: ReportInput) -> dict:
    summary = inp.summary()
    summary.pop("suppressed")
    summary["suppressed"] = len(inp.result.suppressed)
    return {
        "version": 1,
        "tool": {"name": "netpol-lint", "version": __version__},
        "findings": [f.to_json() for f in inp.result.findings],
        "summary": summary,
    }


def render(inp: ReportInput) -> str:
    return dumps_indent2(document(inp), end="\n")   # = json.dumps(indent=2, ensure_ascii=False) + "\n"
