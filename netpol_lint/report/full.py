"""``--format full``: each finding's concise line, then the source lines with a caret under
the finding's span, every related location as a ``note:`` line, and the fix (ruff's ``full``)::

    shop/orders.yaml:46:9: NPL201 [error] Deployment shop/orders is the backend of ...
       |
    45 |     metadata:
    46 |       labels:
       |       ^^^^^^
    47 |         app: orders
       |
       = note: shop/orders.yaml:3:1: APIRule shop/orders routes orders.example.com
       = fix: Add a NetworkPolicy ...
         apiVersion: networking.k8s.io/v1
         ...

The first line of each block is exactly the ``text`` line, so grep still finds it.
"""
from __future__ import annotations

from . import ReportInput
from .text import BOLD, COLORS, RESET, summary_lines, finding_line, render_statistics

CONTEXT = 1            # source lines shown before and after the finding's span
MAX_SPAN_LINES = 6     # a longer span shows its first and last lines around a "..."


def render(inp: ReportInput) -> str:
    if inp.statistics:
        return render_statistics(inp)
    inp.full = True
    sources = _Sources(inp.session)
    blocks = [finding_block(f, sources, inp.registry, inp.color) for f in inp.result.findings]
    out = "\n".join(blocks)
    if not inp.quiet:
        out += "\n".join(summary_lines(inp)) + "\n"
    return out


class _Sources:
    """Lines of the files findings point at: the linted text, else the file as it is on disk."""

    def __init__(self, session):
        self._files = {f.path: f for f in getattr(session, "files", ())}
        self._lines: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def _read(self, path: str) -> list[str] | None:
        src = self._files.get(path)
        text = src.text if src is not None else None
        if text is None and path != "-":
            try:
                with open(path, encoding="utf-8-sig") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError, ValueError):
                return None
        return None if text is None else text.splitlines()


def finding_block(f, sources: _Sources, registry=None, color: bool = False) -> str:
    lines = [finding_line(f, color)]
    lines.extend(snippet(sources.lines(f.location.file), f.location, f.severity if color else None))
    for r in f.related:
        loc = r.location
        lines.append(f"   = note: {loc.file}:{loc.line}:{loc.column}: {r.message}")
    lines.extend(fix_lines(f, registry))
    return "\n".join(lines) + "\n"


def fix_lines(f, registry=None) -> list[str]:
    """``= fix:`` lines: the edit ``--fix`` makes, else the rule's advice; then the detail."""
    out = []
    if f.fixable and f.fix is not None:
        out.append(f"   = fix: {f.fix.describe()} (netpol-lint --fix applies it)")
    else:
        rule = registry.rules.get(f.rule) if registry is not None else None
        advice = getattr(rule, "fix_text", "") if rule is not None else ""
        if advice:
            out.append(f"   = fix: {advice}")
    if f.detail:
        if not out:
            out.append("   = fix:")
        out.extend(f"     {ln}" if ln else "" for ln in f.detail.rstrip("\n").splitlines())
    return out


def snippet(lines: list[str] | None, loc, severity: str | None = None) -> list[str]:
    """The source lines of ``loc`` with a caret line under its first line."""
    if not lines or not 1 <= loc.line <= len(lines):
        return []
    end_line = min(max(loc.end_line, loc.line), len(lines))
    if end_line > loc.line and loc.end_column <= 1:
        end_line -= 1                   # a span ending at column 1 ends on the line before
    shown = list(range(max(1, loc.line - CONTEXT), loc.line + 1))
    span = list(range(loc.line + 1, end_line + 1))
    if len(span) > MAX_SPAN_LINES:
        span = span[:MAX_SPAN_LINES // 2] + [None] + span[-(MAX_SPAN_LINES // 2):]
    after = list(range(end_line + 1, min(len(lines), end_line + CONTEXT) + 1))
    numbers = [n for n in shown + span + after if n is not None]
    width = len(str(max(numbers)))
    gutter = " " * width + " |"
    first = lines[loc.line - 1]
    start = max(loc.column - 1, 0)
    if loc.end_line == loc.line and loc.end_column > loc.column:
        stop = loc.end_column - 1
    else:
        stop = len(first.rstrip())
    stop = min(max(stop, start + 1), max(len(first), start + 1))
    caret = " " * start + "^" * (stop - start)
    if severity:
        caret = f"{COLORS.get(severity, '')}{BOLD}{caret}{RESET}"
    out = [gutter]
    for n in shown:
        out.append(_numbered(n, width, lines[n - 1]))
    out.append(f"{gutter} {caret}")
    for n in span:
        out.append(f"{' ' * width} ..." if n is None else _numbered(n, width, lines[n - 1]))
    for n in after:
        out.append(_numbered(n, width, lines[n - 1]))
    out.append(gutter)
    return out


def _numbered(n: int, width: int, text: str) -> str:
    text = text.expandtabs(1) if "\t" in text else text    # keeps the caret under its column
    return f"{n:>{width}} | {text}".rstrip()
