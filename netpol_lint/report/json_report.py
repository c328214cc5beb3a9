"""JSON output, exactly the shape of CONTRACT.md ("JSON output")."""
from __future__ import annotations


from .. import __version__
from . import ReportInput
from .fastjson import Stream, iter_indent2


def document(inp: ReportInput, stream: bool = False) -> dict:
    """The report as data; with ``stream``, findings become JSON only as they are written."""
    summary = inp.summary()
    summary.pop("suppressed")
    summary["suppressed"] = len(inp.result.suppressed)
    findings = (f.to_json() for f in inp.result.findings)
    out = {
        "version": 1,
        "tool": {"name": "netpol-lint", "version": __version__},
        "findings": Stream(findings) if stream else list(findings),
    }
    if inp.include_suppressed:
        out["suppressed"] = [f.to_json_suppressed() for f in inp.result.suppressed]
    out["summary"] = summary
    return out


def render(inp: ReportInput) -> str:
    return "".join(chunks(inp))


def chunks(inp: ReportInput):
    """``render``'s text in pieces (= json.dumps(indent=2, ensure_ascii=False) + "\\n"), for
    writing a large report without holding all of it (lint writes these to stdout)."""
    return iter_indent2(document(inp, stream=True), end="\n")
