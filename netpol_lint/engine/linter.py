"""The core loop: run the selected rules over a session, then decide what gets reported.

Rules find; this module selects rules, applies severities and suppressions, and sorts.
"""
from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby

from ..config import Config
from .findings import SEVERITY_ORDER, Finding
from .plugins import RuleRegistry
from .rulebase import Rule
from ..model.session import Session
from .suppress import Suppressor


class LintContext:
    """What a rule sees: the model, the Kyma settings, config, and lazily built analyses."""

    def __init__(self, session: Session, registry: RuleRegistry):
        self.session = session
        self.model = session.model
        self.kyma = session.kyma
        self.config: Config = session.config
        self.registry = registry

    @cached_property
    def network(self):
        """The reachability engine over the input plus the Istio module's world."""
        from ..analysis.reachability import Network
        return Network.build(self.session)

    @cached_property
    def routes(self):
        """Every ingress-gateway / egress-gateway route traced to its backend pods."""
        from ..analysis.routes import trace_routes
        return trace_routes(self.session)

    def routes_to(self, workload) -> list[str]:
        """Names of the ingress-gateway routes reaching ``workload`` (``APIRule shop/web``), sorted.

        Rules that report a broken ``from-ingressgateway`` label name the routes with it, so
        the user sees one finding that explains both the label and why it matters.
        """
        return self.routes.routes_to(workload)


@dataclass
class LintResult:
    findings: list[Finding]                 # reported (after suppression), sorted
    suppressed: list[Finding] = field(default_factory=list)
    rule_errors: list[str] = field(default_factory=list)
    unused_suppressions: list[str] = field(default_factory=list)
    rules_run: list[Rule] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        floor = SEVERITY_ORDER[fail_on]
        return any(SEVERITY_ORDER[f.severity] >= floor for f in self.findings)


def selected_rules(registry: RuleRegistry, config: Config, select: list[str] = (), ignore: list[str] = ()) -> list[Rule]:
    """Rules to run: ``select`` (CLI over config) or the default set, minus ``ignore``."""
    chosen_refs = list(select) or list(config.select)
    if chosen_refs:
        chosen = {r.id for ref in chosen_refs for r in registry.select(ref)}
    else:
        chosen = {r.id for r in registry.rules.values() if r.enabled_by_default}
    for ref in list(config.ignore) + list(ignore):
        chosen.difference_update(r.id for r in registry.select(ref))
    return [registry.rules[i] for i in sorted(chosen)]


def run(session: Session, registry: RuleRegistry, rules: list[Rule], *, verbose: bool = False) -> LintResult:
    ctx = LintContext(session, registry)
    registry.pm.hook.netpol_lint_configure(config=session.config)
    severity = {(registry.resolve(k).id if registry.resolve(k) else k): v for k, v in session.config.severity.items()}
    raw: list[Finding] = []
    errors: list[str] = []
    for rule in rules:
        try:
            for f in rule.check(ctx):
                if rule.id in severity:
                    f.severity = severity[rule.id]
                raw.append(f)
        except Exception as exc:  # one broken rule must not hide the others' findings
            errors.append(f"internal error in rule {rule.id} ({rule.name}): {type(exc).__name__}: {exc}")
            if verbose:
                traceback.print_exc(file=sys.stderr)
    files = {f.path: f for f in session.files}
    suppressor = Suppressor(session.model, files, session.config.per_file_ignores,
                            lambda ref: (r.id if (r := registry.resolve(ref)) else None))
    reported, suppressed = [], []
    # An invalid node is NPL003's alone: other rules' readings of it are guesses (RULES.md
    # NPL003 "nothing else about that document is guessed"; "one cause, one finding").
    invalid_at = {(f.location.file, f.location.line, f.location.column) for f in raw if f.rule == "NPL003"}
    raw.sort(key=Finding.sort_key)
    # Repeats (same rule, location and message) share a sort key, so they fall into one group
    # once sorted, where rule and message are equal already: only locations are compared (a
    # set of every finding cost ~6 MB at 100k documents, at the run's peak).
    for _, group in groupby(raw, key=Finding.sort_key):
        seen = set()
        for f in group:
            if f.location in seen:
                continue
            seen.add(f.location)
            if f.rule != "NPL003" and (f.location.file, f.location.line, f.location.column) in invalid_at:
                continue
            f.suppressed_by = suppressor.check(f)
            (suppressed if f.suppressed_by else reported).append(f)
    unused = [s for s in suppressor.declared() if s not in suppressor.used] if verbose else []
    result = LintResult(reported, suppressed, errors, unused, rules)
    registry.pm.hook.netpol_lint_findings(findings=list(reported), ctx=ctx)
    return result
