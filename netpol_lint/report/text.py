"""Human output, concise: ``path:line:col: NPL103 [error] message``, one line per finding.

``full`` (report/full.py) adds the source lines, the related locations and the fix.
"""
from __future__ import annotations

from collections import Counter

from ..engine.findings import describe_resource
from . import ReportInput
from ..wording import count, plural

COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
BOLD, _DIM, RESET = "\033[1m", "\033[2m", "\033[0m"


def render(inp: ReportInput) -> str:
    if inp.statistics:
        return render_statistics(inp)
    # exactly one line per finding, on a terminal too (CONTRACT.md): no per-file headers
    lines = [finding_line(f, inp.color) for f in inp.result.findings]
    if not inp.quiet:
        lines.extend(summary_lines(inp))
    return "\n".join(lines) + ("\n" if lines else "")


def finding_line(f, color: bool = False) -> str:
    """``path:line:col: ID [severity] message``: exactly one line, whatever the message holds.

    The resource is appended as ``(Kind ns/name)`` only when the message does not name it
    already; a message's line breaks (a plugin's, a Rego policy's) become spaces.
    """
    loc = f.location
    msg = f.message
    if "\n" in msg or "\r" in msg:
        msg = " ".join(part.strip() for part in msg.splitlines() if part.strip())
    res = ""
    if f.resource and not names_resource(msg, f.resource):
        res = f" ({describe_resource(f.resource)})"
    sev = f"[{f.severity}]"
    fixable = " [*]" if f.fixable else ""
    if color:
        return (f"{loc.file}:{loc.line}:{loc.column}: {BOLD}{f.rule}{RESET} "
                f"{COLORS.get(f.severity, '')}{sev}{RESET}{fixable} {msg}{_DIM}{res}{RESET}")
    return f"{loc.file}:{loc.line}:{loc.column}: {f.rule} {sev}{fixable} {msg}{res}"


def names_resource(message: str, resource: dict) -> bool:
    """The message already says which resource: ``ns/name`` (namespaced) or ``Kind name``."""
    ns, name = resource.get("namespace"), resource.get("name")
    if not name:
        return True
    if ns:
        return f"{ns}/{name}" in message
    return f"{resource.get('kind')} {name}" in message


def summary_lines(inp: ReportInput) -> list[str]:
    s = inp.summary()
    r = inp.result
    out = []
    if r.findings:
        out.append("")
    parts = [count(s['error'], 'error'), count(s['warning'], 'warning'), f"{s['info']} info"]
    line = (f"Found {count(s['findings'], 'finding')} ({', '.join(parts)}) in {count(s['files'], 'file')}, "
            f"{count(s['resources'], 'resource')}")
    if s["suppressed"]:
        line += f"; {s['suppressed']} suppressed"
    out.append(line + ".")
    fixable = sum(1 for f in r.findings if f.fixable)
    if fixable:
        out.append(f"[*] {fixable} fixable with `netpol-lint --fix`.")
    detailed = sum(1 for f in r.findings if f.detail)
    if detailed and not inp.full:
        out.append(f"{detailed} finding{'s carry' if detailed != 1 else ' carries'} a ready-to-apply fix "
                   f"(NPL201's NetworkPolicy): `--format full` prints {'them' if detailed != 1 else 'it'}.")
    k = inp.session.kyma
    if k.assumed:
        # an Istio CR the module ignores (outside kyma-system, a string flag) counts as absent
        which = " that the module would reconcile" if inp.session.model.istio_crs else ""
        out.append(f"Note: no Istio CR in the input{which} and nothing configured: assuming the Istio module's "
                   f"network policies are enabled (set --assume-network-policies or config network_policies to "
                   f"change).")
    skipped = inp.session.model.non_kubernetes_documents
    if skipped:
        out.append(f"Skipped {count(skipped, 'non-Kubernetes document')}.")
    out.extend(_grouped_lines(inp))
    out.extend(unrecognised_note(inp.session.model))
    return out


def _grouped_lines(inp: ReportInput) -> list[str]:
    """Findings counted per cause, for rules that name one (``Rule.summary_group``: NPL105
    per route), e.g. ``NPL105 by cause: VirtualService shop/out (12 findings)``."""
    groups: dict[str, Counter] = {}
    rules = inp.registry.rules
    for f in inp.result.findings:
        rule = rules.get(f.rule)
        key = rule.summary_group(f) if rule is not None else None
        if key is not None:
            groups.setdefault(f.rule, Counter())[key] += 1
    return [f"{rule_id} by cause: " + "; ".join(f"{k} ({count(n, 'finding')})" for k, n in
                                                  sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
            for rule_id, c in sorted(groups.items())]


def unrecognised_note(model) -> list[str]:
    """The summary's note on route sources of an apiVersion the linter does not read."""
    docs = model.unrecognised
    if not docs:
        return []
    kinds = Counter(f"{r.kind} {r.api_version}" for r in docs)
    listed = ", ".join(f"{k} ({n})" if n > 1 else k for k, n in sorted(kinds.items()))
    n = len(docs)
    return [f"Note: {count(n, 'route source')} of an apiVersion the linter does not understand "
            f"{plural(n, 'was', 'were')} not traced: {listed}; --verbose lists the documents."]


def render_statistics(inp: ReportInput) -> str:
    counts = Counter(f.rule for f in inp.result.findings)
    fixable = Counter(f.rule for f in inp.result.findings if f.fixable)
    lines = []
    width = max((len(str(n)) for n in counts.values()), default=1)
    for rule_id in sorted(counts, key=lambda k: (-counts[k], k)):
        rule = inp.registry.rules.get(rule_id)
        name = rule.name if rule else ""
        mark = "[*]" if fixable[rule_id] else "   "
        lines.append(f"{counts[rule_id]:>{width}}\t{rule_id}\t{mark} {name}")
    if not inp.quiet:
        lines.extend(summary_lines(inp))
    return "\n".join(lines) + ("\n" if lines else "")
