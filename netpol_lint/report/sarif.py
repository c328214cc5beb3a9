"""SARIF 2.1.0 for GitHub code scanning.

GitHub specifics that matter (see guide B.1): one run; relative URIs with ``%SRCROOT%``; all
four region fields; ``help.text``; ``properties.security-severity`` as a *string*; stable
``partialFingerprints``; suppressed results left out (GitHub ignores ``suppressions``), or,
with ``--include-suppressed``, listed after the others with ``suppressions`` (kind
``inSource`` for comments and annotations, ``external`` for the config and a baseline; the
``netpol-lint.io/ignore-reason`` as the justification).
"""
from __future__ import annotations

import itertools
from urllib.parse import quote

from .. import __version__
from ..engine.suppress import suppression_kind
from . import ReportInput
from .fastjson import Stream, iter_indent2

INFORMATION_URI = "https://github.com/netpol-lint/netpol-lint"
DOCS_URI = INFORMATION_URI + "/blob/main/docs/rules.md"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SECURITY_SEVERITY = {"error": "7.5", "warning": "5.0", "info": "2.0"}


def help_uri(rule) -> str:
    return f"{DOCS_URI}#{rule.id.lower()}-{rule.name}"


def _rule_descriptor(rule) -> dict:
    help_text = "\n\n".join(p for p in (rule.summary, rule.rationale, f"Fix: {rule.fix_text}" if rule.fix_text else "") if p)
    md = [f"**{rule.id} {rule.name}**", "", rule.summary]
    if rule.rationale:
        md += ["", "**Why is this bad?** " + rule.rationale]
    if rule.bad_example:
        md += ["", "Example:", "```yaml", rule.bad_example.rstrip(), "```"]
    if rule.good_example:
        md += ["", "Use instead:", "```yaml", rule.good_example.rstrip(), "```"]
    if rule.fix_text:
        md += ["", "**Fix:** " + rule.fix_text]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": (rule.summary + (" " + rule.rationale if rule.rationale else "")).strip()},
        "help": {"text": help_text, "markdown": "\n".join(md)},
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": LEVEL[rule.severity], "enabled": bool(rule.enabled_by_default)},
        "properties": {
            "tags": sorted(set(rule.tags) | {"kubernetes", "networkpolicy"}),
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
        },
    }


def _artifact(path: str) -> dict:
    if path.startswith("/"):
        return {"uri": "file://" + quote(path)}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def _region(loc) -> dict:
    end_line = max(loc.end_line, loc.line)
    end_col = loc.end_column if end_line > loc.line else max(loc.end_column, loc.column + 1)
    return {"startLine": max(loc.line, 1), "startColumn": max(loc.column, 1),
            "endLine": end_line, "endColumn": max(end_col, 1)}


def _result(f, index: dict) -> dict:
    res = {
        "ruleId": f.rule,
        "level": LEVEL[f.severity],
        "message": _message(f),
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(f.location.file),
                                            "region": _region(f.location)}}],
        "partialFingerprints": {"netpolLint/v1": f.fingerprint()},
    }
    if f.rule in index:
        res["ruleIndex"] = index[f.rule]
    if f.related:
        res["relatedLocations"] = [
            {"id": i + 1, "message": {"text": r.message},
             "physicalLocation": {"artifactLocation": _artifact(r.location.file), "region": _region(r.location)}}
            for i, r in enumerate(f.related)
        ]
    if f.resource:
        res["properties"] = {"resource": f.resource}
    if f.detail:
        res.setdefault("properties", {})["detail"] = f.detail
    return res


def _message(f) -> dict:
    """The one-line message; a finding's long ``detail`` (NPL201's ready-to-apply policy,
    NPL302's differences) follows it after a blank line in ``text`` (what GitHub code scanning
    shows) and as a fenced block in ``markdown`` (SARIF 2.1.0 section 3.11: ``markdown`` is an
    alternative rendering of ``text``, which must then be present too).  The JSON's ``detail``
    is also ``properties.detail``."""
    if not f.detail:
        return {"text": f.message}
    detail = f.detail.rstrip("\n")
    fence = "````" if "```" in detail else "```"
    return {"text": f"{f.message}\n\n{detail}",
            "markdown": f"{_md_escape(f.message)}\n\n{fence}\n{detail}\n{fence}"}


def _md_escape(text: str) -> str:
    """A one-line plain text as Markdown that shows the same characters (CommonMark backslash
    escapes for the inline markup characters)."""
    return "".join("\\" + c if c in "\\`*_[]<>" else c for c in text)


def _suppressed_result(f, index: dict) -> dict:
    suppression = {"kind": suppression_kind(f.suppressed_by or "")}
    if f.suppress_reason:
        suppression["justification"] = f.suppress_reason
    return {**_result(f, index), "suppressions": [suppression]}


def document(inp: ReportInput, stream: bool = False) -> dict:
    """The SARIF log as data; with ``stream``, results become JSON only as they are written."""
    rules = inp.registry.sorted()
    index = {r.id: i for i, r in enumerate(rules)}
    results = (_result(f, index) for f in inp.result.findings)
    if inp.include_suppressed:
        results = itertools.chain(results, (_suppressed_result(f, index) for f in inp.result.suppressed))
    results = Stream(results) if stream else list(results)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "netpol-lint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(r) for r in rules],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(inp: ReportInput) -> str:
    return "".join(chunks(inp))


def chunks(inp: ReportInput):
    """``render``'s text in pieces (= json.dumps(indent=2, ensure_ascii=False) + "\\n"), for
    writing a large log without holding all of it (lint writes these to stdout)."""
    return iter_indent2(document(inp, stream=True), end="\n")
