"""REGO001 rego-deny / REGO002 rego-warn: the results of the user's Rego policies as findings.

Part of the built-in rule pack (``rules/rego001_rego_deny.py``, ``rules/rego002_rego_warn.py``
re-export these classes) so that ``netpol-lint rules``, ``explain``, config
``severity:``/``ignore:`` and suppression annotations know them even when no ``--policy`` is
given (then they find nothing).  ``attach()`` hands them the compiled policies for one run;
both rules share one evaluation.

Positions: a per-resource result is reported at the node its ``_loc`` hint names, else at the
resource's ``metadata.name`` (the resource itself when it has none).  A combined
(``--combine``) result is reported on the resource it names (``resource``), else on the file
it names (``filepath``), else at the rule's definition in the policy file.  Every finding has
the defining rule as a related location.
"""
from __future__ import annotations

from netpol_lint.engine.findings import Related
from netpol_lint.load.documents import Location
from netpol_lint.engine.rulebase import Rule

from .engine import PolicyError, combined_input

# The examples hold the policy file they need: a line "# file: PATH" starts a file (docs of
# tests/test_rule_examples.py); the policy's lines are comments so that the example stays YAML.
_POLICY_EXAMPLE = """\
# file: policy/main.rego
# package main
#
# deny contains msg if {
#   input.kind == "Deployment"
#   not input.spec.template.metadata.labels["app.kubernetes.io/name"]
#   msg := sprintf("%s has no app.kubernetes.io/name pod label", [input.metadata.name])
# }
# file: manifest.yaml
"""
_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
"""
_BAD_DEPLOYMENT = _DEPLOYMENT.replace("app: web\n", "app: web   # no app.kubernetes.io/name\n")
_GOOD_DEPLOYMENT = _DEPLOYMENT + "        app.kubernetes.io/name: web\n"


class _RegoRule(Rule):
    rule_sets: tuple[str, ...] = ()
    tags = ("rego", "policy")
    policies = None          # PolicySet for this run (attach())

    def check(self, ctx):
        if self.policies is None:
            return
        evaluation = _evaluate(self.policies, ctx)
        for resource, result, location in evaluation.findings:
            if result.rule.split("_", 1)[0] not in self.rule_sets:
                continue
            related = []
            where = self.policies.rule_location(result.package, result.rule)
            if where is not None:
                related.append(Related(where, f"rule {result.package}.{result.rule}"))
            yield self.finding(resource, location, result.message, related=related,
                               node_hint=[result.package, result.rule, result.message, list(result.loc)])
        if evaluation.errors and not evaluation.raised:
            evaluation.raised = True
            raise PolicyError(evaluation.errors[0] + (f" (and {len(evaluation.errors) - 1} more)"
                                                      if len(evaluation.errors) > 1 else ""))


class RegoDeny(_RegoRule):
    id = "REGO001"
    name = "rego-deny"
    severity = "error"
    rule_sets = ("deny", "violation")
    summary = ("Checks for resources that a `deny` or `violation` rule (or `deny_*`, `violation_*`) of your Rego "
               "policies (`--policy DIR`, conftest conventions) reports.")
    rationale = ("Your own policy says this resource must not be deployed. Running it in the same pass as the "
                 "built-in rules gives its results positions, suppressions, baselines and every output format.")
    bad_example = _POLICY_EXAMPLE + _BAD_DEPLOYMENT
    good_example = _POLICY_EXAMPLE + _GOOD_DEPLOYMENT
    fix_text = ("Change the resource as the policy's message says, or change the policy. Return "
                "`{\"msg\": …, \"_loc\": [\"spec\", …]}` from the rule to point the finding at a field.")


class RegoWarn(_RegoRule):
    id = "REGO002"
    name = "rego-warn"
    severity = "warning"
    rule_sets = ("warn",)
    summary = ("Checks for resources that a `warn` rule (or `warn_*`) of your Rego policies (`--policy DIR`, "
               "conftest conventions) reports.")
    rationale = ("Your own policy flags this resource as risky without forbidding it; it fails the run only "
                 "with `--fail-on warning`.")
    bad_example = _POLICY_EXAMPLE.replace("deny contains", "warn contains") + _BAD_DEPLOYMENT
    good_example = _POLICY_EXAMPLE.replace("deny contains", "warn contains") + _GOOD_DEPLOYMENT
    fix_text = RegoDeny.fix_text


RULES = (RegoDeny, RegoWarn)


def attach(registry, policy_set) -> None:
    """Give this run's rule instances (built-in pack: ``rules/rego00*.py``) the compiled policies."""
    for cls in RULES:
        rule = registry.rules.get(cls.id)
        if isinstance(rule, _RegoRule):
            rule.policies = policy_set


# -- shared evaluation -------------------------------------------------------------------------
class _Evaluation:
    def __init__(self):
        self.findings: list[tuple] = []   # (resource | None, PolicyResult, Location)
        self.errors: list[str] = []
        self.raised = False


def _evaluate(policy_set, ctx) -> _Evaluation:
    cached = policy_set._cache
    if cached is not None and cached[0] is ctx.session:
        return cached[1]
    ev = _Evaluation()
    if policy_set.combine:
        _evaluate_combined(policy_set, ctx, ev)
    else:
        _evaluate_each(policy_set, ctx, ev)
    policy_set._cache = (ctx.session, ev)
    return ev


def _locate(resource, path: tuple) -> Location:
    """The ``_loc`` node (its key line when it is a block mapping/list), else ``metadata.name``."""
    if not path:
        return resource.locate("metadata", "name")
    loc = resource.locate(*path)
    if loc.end_line > loc.line and isinstance(path[-1], str):
        key = resource.locate(*path, key=True)
        if key.line <= loc.line:
            return key
    return loc


def _evaluate_each(policy_set, ctx, ev: _Evaluation) -> None:
    from .engine import captured_stdout, json_safe

    with captured_stdout():
        for resource in ctx.model.resources:
            try:
                results = policy_set.evaluate_one(json_safe(resource.data))
            except PolicyError as exc:
                where = resource.locate()
                ev.errors.append(f"{exc} for {resource.ref} ({where.file}:{where.line})")
                continue
            for res in results:
                ev.findings.append((resource, res, _locate(resource, res.loc)))


def _evaluate_combined(policy_set, ctx, ev: _Evaluation) -> None:
    from ..load.origins import OriginMap, reported_file

    try:
        (results,) = policy_set.evaluate([combined_input(ctx.session)])
    except PolicyError as exc:
        ev.errors.append(f"{exc} for the combined input")
        return
    origins = OriginMap(ctx.session.files)
    files = {f.path for f in ctx.session.files}
    files |= {origins.document_file(d) for f in ctx.session.files for d in f.documents}
    for res in results:
        resource = None
        if res.resource is not None:
            kind, ns, name = res.resource
            matches = [r for r in ctx.model.by_kind.get(kind, ()) if r.name == name and (ns is None or r.namespace == ns)]
            if res.filepath:
                matches.sort(key=lambda r: reported_file(r, origins) != res.filepath)
            resource = matches[0] if matches else None
        if resource is not None:
            loc = _locate(resource, res.loc)
        elif res.filepath and res.filepath in files:
            loc = Location.whole_file(res.filepath)
        else:
            loc = policy_set.rule_location(res.package, res.rule)
            if loc is None:
                continue
        ev.findings.append((resource, res, loc))
