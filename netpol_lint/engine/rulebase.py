"""What a rule is: identity, documentation, and a ``check`` that yields findings.

Documentation follows ruff's sections: ``summary`` (What it does), ``rationale`` (Why is this
bad?), ``bad_example`` / ``good_example`` (Example / Use instead) and ``fix_text`` (Fix).
``netpol-lint explain``, ``docs/rules.md`` and SARIF help are all generated from these fields.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from .findings import Finding, LabelFix, Related, unique_related
from ..load.documents import Location

if TYPE_CHECKING:  # pragma: no cover
    from .linter import LintContext
    from ..model.resources import Resource

RULE_ID_RE = re.compile(r"^[A-Z]{1,8}[0-9]{1,4}$")
RULE_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_NO_RELATED: tuple[Related, ...] = ()      # one empty value for the many findings without related locations


def _as_is(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class RuleOption:
    """One per-rule setting (yamllint-style): its default, one line of help for ``explain``
    and ``docs/rules.md``, and ``check``, which returns the value to use or raises
    ``ValueError`` saying what is wrong (the config error names the file, rule and option).

    Set in the config under ``rule_options``, keyed by rule id or name::

        rule_options:
          NPL106: {scrapers: [{namespace: monitoring, matchLabels: {app: prometheus}}]}
    """

    default: Any
    help: str
    check: Callable[[Any], Any] = _as_is


class Rule:
    id: str = ""
    name: str = ""
    severity: str = "error"            # default severity: error | warning | info
    enabled_by_default: bool = True
    fixable: bool = False
    summary: str = ""                  # "Checks for ..." one or two sentences
    rationale: str = ""                # why this breaks traffic
    bad_example: str = ""              # full manifests that fire this rule and no other
    good_example: str = ""             # the same, fixed: fires nothing (tests/test_rule_examples.py)
    fix_text: str = ""                 # what to change (also the remediation of each finding)
    tags: tuple[str, ...] = ()
    source: str = "builtin"            # plugin name or file the rule came from
    options: ClassVar[Mapping[str, RuleOption]] = {}    # per-rule settings (RuleOption)

    def check(self, ctx: "LintContext") -> Iterator[Finding]:
        """Yield findings over ``ctx.model`` (and ``ctx.network`` / ``ctx.routes`` if needed)."""
        raise NotImplementedError

    def option(self, ctx: "LintContext", name: str) -> Any:
        """The value of this rule's option ``name`` in this run: the config's (validated by
        ``validate_options`` when the config was loaded), else the declared default."""
        return ctx.config.rule_options.get(self.id, {}).get(name, self.options[name].default)

    def validate_options(self, given: Any, where: str) -> dict[str, Any]:
        """The config's options for this rule, checked; ``ValueError`` names what is wrong."""
        if not isinstance(given, dict):
            raise ValueError(f"{where}: must map option names to values")
        out = {}
        for name, value in given.items():
            spec = self.options.get(name)
            if spec is None:
                known = ", ".join(sorted(self.options)) or "none"
                raise ValueError(f"{where}: {self.id} has no option '{name}' (options: {known})")
            try:
                out[name] = spec.check(value)
            except ValueError as exc:
                raise ValueError(f"{where}.{name}: {exc}") from None
        return out

    # -- helpers for rule authors ------------------------------------------------------
    def finding(self, resource: "Resource | None", location: Location, message: str, *,
                related: Iterable[Related] = (), fix: LabelFix | None = None, node_hint: Any = None,
                explained_by: tuple[tuple[str, str, int], ...] = (), explained_note: str = "",
                detail: str | None = None) -> Finding:
        """A finding of this rule.  ``explained_by`` names the findings, as (rule id, file, line),
        that explain this one (RULES.md "One cause, one finding"); ``explained_note`` is what
        the explaining finding adds to its message when it carries this one.  ``detail`` is long
        text that does not belong in the one-line message (NPL201's ready-to-apply policy)."""
        return Finding(
            rule=self.id, name=self.name, severity=self.severity, message=message, location=location,
            resource=resource.identity() if resource is not None else None,
            fixable=self.fixable and fix is not None, fix=fix,
            related=(unique_related(related) or _NO_RELATED) if related else _NO_RELATED,
            node_hint=node_hint,
            explained_by=explained_by, explained_note=explained_note, detail=detail,
        )

    def summary_group(self, finding: Finding) -> str | None:
        """What the text summary counts this rule's findings by (e.g. the route that causes
        them), or None: no grouping."""
        return None

    def doc(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "severity": self.severity, "enabled": self.enabled_by_default,
            "fixable": self.fixable, "summary": self.summary, "rationale": self.rationale,
            "bad_example": self.bad_example, "good_example": self.good_example, "fix": self.fix_text,
            "tags": list(self.tags), "source": self.source,
            **({"options": {k: {"default": o.default, "help": o.help} for k, o in sorted(self.options.items())}}
               if self.options else {}),
        }

    def __repr__(self) -> str:
        return f"<rule {self.id} {self.name}>"


def validate_rule(rule: Rule) -> str | None:
    """Why a rule object cannot be registered (None when it is fine)."""
    if not RULE_ID_RE.match(rule.id or ""):
        return f"rule id {rule.id!r} must look like NPL123 (capital letters then digits)"
    if not RULE_NAME_RE.match(rule.name or ""):
        return f"rule {rule.id}: name {rule.name!r} must be kebab-case"
    if rule.severity not in ("error", "warning", "info"):
        return f"rule {rule.id}: severity must be error, warning or info"
    if not rule.summary:
        return f"rule {rule.id}: missing summary"
    return None
