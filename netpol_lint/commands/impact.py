"""Show what enabling the Istio module's network policies would break.

Compares the input's connectivity with the module's policies off and on (the Istio components
are present in both, as on every Kyma cluster; see ``analysis/impact.py``) and lists every
connection that changes, grouped by what the user must do: ingress-gateway routes that break,
workloads that lose the egress gateway, scrapers that lose the Istio metrics endpoints,
sidecars that lose istiod, and everything else.  Each breaking line names the file, line and
column of the pod template (or Prometheus CR) to change and the label to set.

The comparison always covers both states, whatever the input's Istio CR,
``--assume-network-policies`` or the config say: it is the blast radius of the flag itself.

Exit codes: 1 when something would break (gate the change of the Istio CR on it), 0 when
only connections that nothing in the input needs change, 2 when the input cannot be read.
"""
from __future__ import annotations

import json
import sys

from .. import __version__
from ..analysis.impact import ALREADY, GROUP_TITLES, GROUPS, OTHER, ImpactEntry, ImpactReport, analyse
from ..api import load_config_and_rules, load_session
from ..options import Options
from ..wording import count, plural

METRICS_RULE = "NPL106"


def add_arguments(parser) -> None:
    parser.add_argument("--format", default="text", choices=("text", "json", "markdown"),
                        help="output format (default: text)")
    parser.add_argument("--ipblock-pods", choices=("by-ip", "never"), default=None,
                        help="whether ipBlocks select pods by address (default: config, else by-ip)")
    parser.add_argument("--host-network", choices=("exempt", "enforced"), default="exempt",
                        help="pods with hostNetwork: outside policy enforcement (default) or treated like other pods")


def run(args) -> int:
    options = Options.from_args(args)
    config, registry = load_config_and_rules(options)
    session = load_session(options, config)
    report = analyse(session, prometheus_findings=_metrics_findings(session, registry),
                     ipblock_pods=options.ipblock_pods, host_network_enforced=options.host_network_enforced)
    render = {"json": render_json, "markdown": render_markdown}.get(args.format, render_text)
    from ..analysis.ipblocks import readable_ranges
    text = render(report)
    sys.stdout.write(text if args.format == "json" else readable_ranges(text))
    sys.stdout.flush()
    return 1 if report.breaks or expectations_broken(report) else 0


def _metrics_findings(session, registry) -> list:
    """NPL106 on the input (suppressions honoured): the Prometheus CRs that would lose Istio metrics."""
    from ..engine import pipeline

    rule = registry.rules.get(METRICS_RULE)
    if rule is None:
        return []
    return pipeline.run(session, registry, [rule], notify=False).findings


# -- shared wording ------------------------------------------------------------------------
def cr_status(report: ImpactReport) -> str:
    cr = report.istio_cr
    if cr is None:
        state = "no Istio CR in the input that the module would reconcile (kyma-system/default)"
    else:
        loc = _cr_location(cr)
        flag = "true" if cr.spec.get("networkPoliciesEnabled") is True else "false"
        state = f"Istio CR {cr.ns_name} at {loc.file}:{loc.line}:{loc.column}: networkPoliciesEnabled is {flag}"
        if flag == "true":
            state += " already (below: what the flag does on a cluster where it is off)"
    return state


def _cr_location(cr):
    if "networkPoliciesEnabled" in cr.spec:
        return cr.locate("spec", "networkPoliciesEnabled", key=True)
    return cr.locate("spec", key=True)


def _entry_lines(e: ImpactEntry, head: str, verb: str) -> list[str]:
    """One entry of a text group: the connection, what it loses (``breaks``/``denied``), why,
    and the fixes."""
    return ([f"  {head}", f"    {verb} {e.breaks.to_text()}"] + [f"    because {r}" for r in e.reasons]
            + [f"    fix {f.text()}" for f in e.fixes])


def summary_line(report: ImpactReport) -> str:
    breaking = len(report.breaking)
    other = len(report.group(OTHER))
    already = len(report.already_broken)
    dead = (f" {count(already, 'needed connection')} {plural(already, 'is', 'are')} already broken, with or without "
            f"the flag: fix {plural(already, 'it', 'them')} too.") if already else ""
    if breaking:
        return (f"{breaking} needed {_connections(breaking, 'break')}; {other} other "
                f"{_connections(other, 'change')}. Apply the fixes above before setting "
                f"networkPoliciesEnabled: true.{dead}")
    return f"nothing the input needs breaks; {other} other {_connections(other, 'change')}.{dead}"


def _connections(n: int, verb: str) -> str:
    """``connection breaks`` / ``connections break``: noun and verb agree with ``n``."""
    return f"{plural(n, 'connection')} {plural(n, verb + 's', verb)}"


def fold_other(entries: list[ImpactEntry]) -> list[tuple[str, list[str]]]:
    """``other`` entries folded by the endpoint whose policies changed and the before/after ports.

    Returns (line, peers): ``* => istio-system/istiod : All Connections -> TCP 15017`` with the
    sources it applies to (or ``anchor => *`` with the destinations).
    """
    groups: dict[tuple, list[ImpactEntry]] = {}
    for e in entries:
        role, anchor = e.anchor or ("to", e.target)
        key = (anchor, role, e.change.before.to_text(), e.change.after.to_text())
        groups.setdefault(key, []).append(e)
    out = []
    for (anchor, role, before, after), members in sorted(groups.items()):
        if len(members) == 1:
            out.append((members[0].change.transition(), []))
            continue
        peers = [m.source if role == "to" else m.target for m in members]
        head = f"* => {anchor}" if role == "to" else f"{anchor} => *"
        out.append((f"{head} : {before} -> {after}", peers))
    return out


# -- text --------------------------------------------------------------------------------
def render_text(report: ImpactReport) -> str:
    lines = ["netpol-lint impact: what setting networkPoliciesEnabled: true changes",
             cr_status(report), ""]
    for gid, title, label in GROUPS:
        entries = report.group(gid)
        if gid == ALREADY:
            if entries:
                lines.append(f"{title} ({len(entries)}); dead today, whatever the flag says")
                for e in entries:
                    lines += _entry_lines(e, f"{e.source} => {e.target}", "denied")
                lines.append("")
            continue
        if gid == OTHER:
            lines.append(f"{title}: {len(entries) or 'none'}")
            for line, peers in fold_other(entries):
                lines.append(f"  {line}")
                if peers:
                    lines.append(f"      {len(peers)}: {', '.join(peers)}")
            continue
        if not entries:
            lines.append(f"{title}: none")
            continue
        value = "istio" if gid == "sidecars" else "allowed"
        lines.append(f"{title} ({len(entries)}); the fix: {label}: {value}")
        for e in entries:
            lines += _entry_lines(e, e.change.transition() if e.change else f"{e.source} => {e.target}", "breaks")
        lines.append("")
    lines += expectations_text(report)
    lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


# -- JSON --------------------------------------------------------------------------------
def document(report: ImpactReport) -> dict:
    cr = report.istio_cr
    cr_json = None
    if cr is not None:
        loc = _cr_location(cr)
        cr_json = {"namespace": cr.namespace, "name": cr.name, "file": loc.file, "line": loc.line,
                   "network_policies_enabled": cr.spec.get("networkPoliciesEnabled") is True}
    groups = []
    for gid, title, label in GROUPS:
        groups.append({"id": gid, "title": title, "label": label,
                       "entries": [e.to_json() for e in report.group(gid)]})
    return {"version": 1, "tool": {"name": "netpol-lint", "version": __version__},
            "istio_cr": cr_json,
            "groups": groups,
            "summary": {"breaking": len(report.breaking), "already_broken": len(report.already_broken),
                        "other": len(report.group(OTHER)),
                        "changed_connections": len(report.changes),
                        **{gid: len(report.group(gid)) for gid, _, _ in GROUPS if gid not in (OTHER, ALREADY)}},
            **expectations_json(report)}


def render_json(report: ImpactReport) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"


# -- connectivity expectations the flip breaks or repairs -----------------------------------
def expectations_broken(report: ImpactReport) -> list:
    """(expectation, failure with policies on) for expectations that hold with the module's
    policies off and fail with them on."""
    return [(exp, on) for exp, off, on in getattr(report, "expectations", ()) if off is None]


def expectations_repaired(report: ImpactReport) -> list:
    return [(exp, off) for exp, off, on in getattr(report, "expectations", ()) if on is None]


def _expectation_line(exp, failure) -> str:
    loc = exp.location
    where = f"{loc.file}:{loc.line}:{loc.column} " if loc is not None else ""
    return (f"{where}expectation {exp.title}: {failure.src.id} -> {failure.dst.id} {failure.port} "
            f"{'allowed' if failure.allowed else 'denied'} ({failure.detail})")


def expectations_text(report: ImpactReport) -> list[str]:
    """The text section on expectations (nothing when the flip changes none)."""
    lines = []
    for title, items in (("Connectivity expectations the flip breaks", expectations_broken(report)),
                         ("Connectivity expectations the flip repairs", expectations_repaired(report))):
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {_expectation_line(exp, f)}" for exp, f in items]
            lines.append("")
    return lines


def _expectation_json(exp, failure) -> dict:
    loc = exp.location
    return {"name": exp.name, "from": exp.src.text, "to": exp.dst.text, "allow": exp.allow, "when": exp.when,
            "file": loc.file if loc else None, "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "pair": {"from": failure.src.id, "to": failure.dst.id, "port": failure.port,
                     "allowed": failure.allowed, "explanation": failure.detail}}


def expectations_json(report: ImpactReport) -> dict:
    """Keys of the JSON document for expectations (none when the input has no expectations)."""
    if not getattr(report, "expectations", None):
        return {}
    return {"expectations": {"broken": [_expectation_json(e, f) for e, f in expectations_broken(report)],
                             "repaired": [_expectation_json(e, f) for e, f in expectations_repaired(report)]}}


def expectations_markdown(report: ImpactReport) -> list[str]:
    out = []
    for title, items in (("Connectivity expectations the flip breaks", expectations_broken(report)),
                         ("Connectivity expectations the flip repairs", expectations_repaired(report))):
        if not items:
            continue
        out += [f"#### {title}", "", "| expectation | where | pair | why |", "|---|---|---|---|"]
        for exp, f in items:
            loc = exp.location
            where = f"{loc.file}:{loc.line}" if loc else ""
            out.append(f"| {md_cell(exp.title)} | {md_code(where)} | "
                       f"{md_code(f'{f.src.id} -> {f.dst.id} {f.port}')} {'allowed' if f.allowed else 'denied'} | "
                       f"{md_cell(f.detail)} |")
        out.append("")
    return out


# -- Markdown ----------------------------------------------------------------------------
def md_text(text: str) -> str:
    """Prose from manifests or messages: no emphasis, no raw HTML (a PR comment renders it)."""
    out = str(text).replace("\\", "\\\\")
    for ch in "*_":
        out = out.replace(ch, "\\" + ch)
    return out.replace("<", "&lt;").replace(">", "&gt;")


def md_cell(text: str) -> str:
    """A table cell: ``md_text`` with pipes escaped and newlines folded (GFM tables)."""
    return md_text(text).replace("|", "\\|").replace("\n", "<br>")


def md_code(text: str) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def render_markdown(report: ImpactReport) -> str:
    out = ["### netpol-lint impact: `networkPoliciesEnabled: true`", "", md_cell(cr_status(report)), "",
           "| change | connections | fix |", "|---|---:|---|"]
    for gid, title, label in GROUPS:
        n = len(report.group(gid))
        if gid == ALREADY and not n:
            continue
        fix = f"add {md_code(label + ': ' + ('istio' if gid == 'sidecars' else 'allowed'))}" if label else \
            ("a policy admitting the peer" if gid == ALREADY else "none needed")
        out.append(f"| {md_cell(title)} | {n} | {fix} |")
    out += ["", f"**{md_cell(summary_line(report))}**", ""]
    for gid, title, _ in GROUPS:
        entries = report.group(gid)
        if gid == OTHER or not entries:
            continue
        out += [f"#### {title}", "", "| from | to | before → after | breaks | because | fix |",
                "|---|---|---|---|---|---|"]
        for e in entries:
            ports = f"{e.change.before.to_text()} → {e.change.after.to_text()}" if e.change else \
                ("denied → denied" if gid == ALREADY else "(not modelled)")
            out.append(f"| {md_code(e.source)} | {md_code(e.target)} | {md_cell(ports)} | {md_cell(e.breaks.to_text())} "
                       f"| {md_cell(chr(10).join(e.reasons))} | {md_cell(chr(10).join(f.text() for f in e.fixes))} |")
        out.append("")
    out += expectations_markdown(report)
    other = report.group(OTHER)
    if other:
        out += [f"<details><summary>{GROUP_TITLES[OTHER]}: {len(other)}</summary>", "",
                "| connections | before → after | peers |", "|---|---|---|"]
        for line, peers in fold_other(other):
            head, ports = line.split(" : ", 1)
            out.append(f"| {md_code(head)} | {md_cell(ports.replace(' -> ', ' → '))} | "
                       f"{md_cell(', '.join(peers)) if peers else ''} |")
        out += ["", "</details>", ""]
    return "\n".join(out)


__all__ = ["add_arguments", "run", "render_text", "render_json", "render_markdown", "document", "md_cell",
           "md_code", "md_text"]
