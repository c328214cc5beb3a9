"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding.

GitHub turns these lines into annotations on the pull request's "Files changed" tab and the
run summary, so a lint job needs no SARIF upload to show findings next to the code.  The
format (GitHub docs, "Workflow commands for GitHub Actions")::

    ::error file=apps/web.yaml,line=12,col=9,endLine=12,endColumn=20,title=NPL103::message

Property values escape ``%``, CR, LF, ``:`` and ``,``; the message escapes ``%``, CR and LF.
Severities map to the three annotation levels (info -> notice).  Annotation counts are capped
by GitHub per step, so the summary line (a plain log line, not a command) still states the
total.
"""
from __future__ import annotations

from ..engine.findings import describe_resource
from . import ReportInput
from ..wording import count

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message part (after the ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=…``, ``title=…``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _resource_suffix(message: str, resource: dict | None) -> str:
    from .text import names_resource
    if not resource or names_resource(message, resource):
        return ""
    return f" ({describe_resource(resource)})"


def command(f) -> str:
    """The workflow command for one finding."""
    loc = f.location
    props = [f"file={escape_property(loc.file)}", f"line={loc.line}", f"col={loc.column}"]
    if loc.end_line == loc.line and loc.end_column > loc.column:
        props += [f"endLine={loc.end_line}", f"endColumn={loc.end_column}"]
    elif loc.end_line > loc.line:
        props.append(f"endLine={loc.end_line}")
    props.append(f"title={escape_property(f.rule)}")
    message = f"{f.message}{_resource_suffix(f.message, f.resource)}"
    if f.detail:
        message += "\n\n" + f.detail.rstrip("\n")     # an annotation shows lines (NPL201's policy)
    return f"::{LEVEL[f.severity]} {','.join(props)}::{escape_data(message)}"


def render(inp: ReportInput) -> str:
    if inp.statistics:
        from .text import render_statistics
        return render_statistics(inp)
    lines = [command(f) for f in inp.result.findings]
    if not inp.quiet:
        s = inp.summary()
        lines.append(f"netpol-lint: {count(s['findings'], 'finding')} "
                     f"({count(s['error'], 'error')}, {count(s['warning'], 'warning')}, "
                     f"{s['info']} info) in {count(s['files'], 'file')}, {count(s['resources'], 'resource')}")
    return "\n".join(lines) + ("\n" if lines else "")
