"""JSON output, exactly the shape of CONTRACT.md ("JSON output")."""
from __future__ import annotations

import json

from .. import __version__
from . import ReportInput


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
    return json.dumps(document(inp), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
