"""Reporters render a ``LintResult``; they never decide what is reported.

Each format is a function ``render(report: ReportInput) -> str``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.linter import LintResult
from ..engine.plugins import RuleRegistry
from ..model.session import Session


@dataclass
class ReportInput:
    result: LintResult
    session: Session
    registry: RuleRegistry
    color: bool = False
    quiet: bool = False
    statistics: bool = False
    full: bool = False              # --format full: findings already show their detail
    include_suppressed: bool = False     # json/sarif list the suppressed findings too

    def summary(self) -> dict:
        r, s = self.result, self.session
        return {
            "files": len(s.files), "documents": s.model.documents, "resources": len(s.model.resources),
            "findings": len(r.findings), "error": r.count("error"), "warning": r.count("warning"),
            "info": r.count("info"), "suppressed": len(r.suppressed),
            "network_policies_enabled": s.kyma.policies_enabled,
        }


FORMATS = ("text", "full", "json", "sarif", "github", "junit")


def renderer(fmt: str):
    from . import full, github, json_report, junit, sarif, text
    table = {"text": text.render, "full": full.render, "json": json_report.render, "sarif": sarif.render,
             "github": github.render, "junit": junit.render}
    return table.get(fmt)


def chunks(fmt: str, inp: ReportInput):
    """The report of ``fmt`` as an iterable of text pieces: formats that can (JSON, SARIF)
    make them as they are written, so a report of 100k findings is never all in memory."""
    from . import json_report, sarif
    streaming = {"json": json_report.chunks, "sarif": sarif.chunks}.get(fmt)
    return streaming(inp) if streaming is not None else [renderer(fmt)(inp)]


def formats() -> list[str]:
    return list(FORMATS)
