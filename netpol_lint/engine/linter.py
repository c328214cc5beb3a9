"""The rule loop and what rules see: ``LintContext``, ``selected_rules``, ``run_rules``.

Rules only find.  What becomes of their findings (severities, suppressions, one cause one
finding, baselines, ...) is decided by the pipeline (``engine/pipeline.py``), and the result
of a run is a ``LintResult``.
"""
from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from ..config import Config
from .findings import SEVERITY_ORDER, Finding
from .plugins import RuleRegistry
from .rulebase import Rule
from ..model.session import Session

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.reachability import Network
    from ..analysis.routes import RouteTable
    from ..model.resources import Workload

T = TypeVar("T")


class LintContext:
    """What a rule sees: the model, the Kyma settings, config, and lazily built analyses.

    ``network`` and ``routes`` are built on first use and shared by every rule of the run;
    an analysis several rules share (e.g. the gateway checks of NPL201/NPL203) is cached with
    ``shared(key, factory)`` instead of attributes set on the context.
    """

    def __init__(self, session: Session, registry: RuleRegistry):
        self.session = session
        self.model = session.model
        self.kyma = session.kyma
        self.config: Config = session.config
        self.registry = registry
        self._shared: dict[str, Any] = {}

    @cached_property
    def network(self) -> "Network":
        """The reachability engine over the input plus the Istio module's world."""
        from ..analysis.reachability import Network
        return Network.build(self.session)

    @cached_property
    def routes(self) -> "RouteTable":
        """Every ingress-gateway / egress-gateway route traced to its backend pods."""
        from ..analysis.routes import trace_routes
        return trace_routes(self.session)

    def shared(self, key: str, factory: Callable[["LintContext"], T]) -> T:
        """``factory(self)`` computed once per run under ``key`` (an analysis rules share)."""
        try:
            return self._shared[key]  # type: ignore[no-any-return]  # stored by factory: a T
        except KeyError:
            value = self._shared[key] = factory(self)
            return value

    def routes_to(self, workload: "Workload") -> list[str]:
        """Names of the ingress-gateway routes reaching ``workload`` (``APIRule shop/web``), sorted.

        Rules that report a broken ``from-ingressgateway`` label name the routes with it, so
        the user sees one finding that explains both the label and why it matters.
        """
        return self.routes.routes_to(workload)


@dataclass
class LintResult:
    findings: list[Finding]                 # reported, sorted
    suppressed: list[Finding] = field(default_factory=list)
    rule_errors: list[str] = field(default_factory=list)
    unused_suppressions: list[str] = field(default_factory=list)
    rules_run: list[Rule] = field(default_factory=list)
    context: LintContext | None = field(default=None, repr=False)   # what the rules saw

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        floor = SEVERITY_ORDER[fail_on]
        return any(SEVERITY_ORDER.get(f.severity, SEVERITY_ORDER["error"]) >= floor for f in self.findings)


def selected_rules(registry: RuleRegistry, config: Config, select: Iterable[str] = (),
                   ignore: Iterable[str] = ()) -> list[Rule]:
    """Rules to run: ``select`` (CLI over config) or the default set, minus ``ignore``."""
    chosen_refs = list(select) or list(config.select)
    if chosen_refs:
        chosen = {r.id for ref in chosen_refs for r in registry.select(ref)}
    else:
        chosen = {r.id for r in registry.rules.values() if r.enabled_by_default}
    for ref in list(config.ignore) + list(ignore):
        chosen.difference_update(r.id for r in registry.select(ref))
    return [registry.rules[i] for i in sorted(chosen)]


def run_rules(ctx: LintContext, rules: list[Rule], *, verbose: bool = False) -> tuple[list[Finding], list[str]]:
    """Every finding of ``rules`` in rule order, and the errors of rules that crashed.

    One broken rule must not hide the others' findings: its exception becomes one line of
    ``errors`` (exit 2), with the traceback on stderr under ``--verbose``.
    """
    raw: list[Finding] = []
    errors: list[str] = []
    for rule in rules:
        try:
            raw.extend(rule.check(ctx))
        except Exception as exc:
            errors.append(f"internal error in rule {rule.id} ({rule.name}): {type(exc).__name__}: {exc}")
            if verbose:
                traceback.print_exc(file=sys.stderr)
    return raw, errors
