"""Scaffold a new built-in rule: its module, its registration, its fixtures and its docs.

    python scripts/add_rule.py NPL110 service-without-policy --severity warning \\
        --summary "Checks for Services whose pods no NetworkPolicy selects."

writes

* ``rules/npl110_service_without_policy.py``: a ``Rule`` subclass with every documentation
  field (the examples are full manifests, to be made yours) and a ``check`` for you to write;
* its entry in ``rules/__init__.py`` (``PYTHON_RULES``);
* ``tests/fixtures/npl110/{bad,good}/example.yaml`` from the examples;
* ``docs/rules.md``, regenerated from the rule classes of this checkout.

Then write ``check``, make the fixtures say what the rule is about, and record the exact
findings: ``NETPOL_LINT_UPDATE_SNAPSHOTS=1 pytest tests/test_rule_fixtures.py -k npl110``
(review ``tests/fixtures/npl110/expected.json``).  Until ``check`` reports the bad fixture,
``tests/test_rule_fixtures.py`` fails, and says so.  Likewise ``tests/test_rule_examples.py``
(``pytest tests/test_rule_examples.py -k NPL110``) fails until ``bad_example`` fires exactly the
new rule and ``good_example`` fires nothing (the scaffold's two examples are the same clean
Deployment: make the bad one show the problem, with a comment on the line reported).
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ID_RE = re.compile(r"^NPL[0-9]{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

BAD_EXAMPLE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}   # TODO: the problem, with a comment on the line the rule reports
    spec:
      containers:
      - name: web
        image: nginx
"""
GOOD_EXAMPLE = BAD_EXAMPLE.replace("   # TODO: the problem, with a comment on the line the rule reports", "")

MODULE = '''"""{id} {name}: {summary_line}"""
from __future__ import annotations

from collections.abc import Iterator

from netpol_lint.engine.findings import Finding
from netpol_lint.engine.linter import LintContext
from netpol_lint.engine.rulebase import Rule


class {cls}(Rule):
    id = "{id}"
    name = "{name}"
    severity = "{severity}"
    summary = {summary!r}
    rationale = ("Why the finding breaks traffic (or will): what the module's policies or the "
                 "reachability engine do with such a manifest.")
    # full manifests, linted by tests/test_rule_examples.py: the bad one fires exactly this rule,
    # the good one nothing (a "# file: PATH" line starts another file, e.g. a config)
    bad_example = """\\
{bad}"""
    good_example = """\\
{good}"""
    fix_text = "What to change in the manifest, precisely."
    tags = ()

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        # Read ctx.model (resources), ctx.network (the reachability engine), ctx.routes and
        # ctx.shared(key, factory) for analyses several rules share; report with
        #     yield self.finding(resource, resource.locate("metadata", "name"), "message")
        yield from ()


RULE = {cls}
'''


def module_name(rule_id: str, name: str) -> str:
    return f"{rule_id.lower()}_{name.replace('-', '_')}"


def register(init: Path, module: str) -> None:
    """Add ``module`` to ``PYTHON_RULES`` (before the closing parenthesis)."""
    text = init.read_text(encoding="utf-8")
    start = text.index("PYTHON_RULES = (")
    end = text.index("\n)\n", start)
    if f'"{module}"' in text[start:end]:
        return
    init.write_text(text[:end] + f'\n    "{module}",' + text[end:], encoding="utf-8")


def regenerate_docs(root: Path) -> Path:
    """docs/rules.md of ``root`` from ``root``'s rule classes (imported from that checkout,
    whatever netpol-lint is installed)."""
    sys.path.insert(0, str(root))
    for name in [m for m in sys.modules if m == "netpol_lint" or m.startswith("netpol_lint.")]:
        del sys.modules[name]
    import netpol_lint  # noqa: F401  (this checkout's package)
    spec = importlib.util.spec_from_file_location("netpol_lint.rules", root / "rules" / "__init__.py",
                                                  submodule_search_locations=[str(root / "rules")])
    assert spec is not None and spec.loader is not None
    pack = importlib.util.module_from_spec(spec)
    sys.modules["netpol_lint.rules"] = pack
    spec.loader.exec_module(pack)
    from netpol_lint.engine.plugins import RuleRegistry
    from netpol_lint.report import docsgen
    out = root / "docs" / "rules.md"
    out.write_text(docsgen.render(RuleRegistry.default(autoload=False)), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("id", help="rule id, NPL followed by three digits")
    ap.add_argument("name", help="kebab-case rule name")
    ap.add_argument("--severity", choices=("error", "warning", "info"), default="warning")
    ap.add_argument("--summary", default=None, help='one or two sentences, "Checks for ..."')
    args = ap.parse_args(argv)
    rule_id, name = args.id.upper(), args.name
    if not ID_RE.match(rule_id):
        ap.error(f"rule id {args.id!r} must look like NPL123")
    if not NAME_RE.match(name):
        ap.error(f"rule name {name!r} must be kebab-case")
    module = module_name(rule_id, name)
    path = ROOT / "rules" / f"{module}.py"
    taken = [p.name for p in (ROOT / "rules").glob(f"{rule_id.lower()}_*")] + \
            [p.name for p in (ROOT / "rules").glob(f"*_{name.replace('-', '_')}.*")]
    fixtures = ROOT / "tests" / "fixtures" / rule_id.lower()
    if taken or fixtures.exists():
        ap.error(f"{rule_id} or {name} exists already: {', '.join(taken) or fixtures}")
    summary = args.summary or f"Checks for {name.replace('-', ' ')}."
    cls = "".join(part.capitalize() for part in name.split("-"))
    path.write_text(MODULE.format(id=rule_id, name=name, severity=args.severity, summary=summary,
                                  summary_line=summary.rstrip(".").lower(), cls=cls,
                                  bad=BAD_EXAMPLE, good=GOOD_EXAMPLE), encoding="utf-8")
    register(ROOT / "rules" / "__init__.py", module)
    for kind, example in (("bad", BAD_EXAMPLE), ("good", GOOD_EXAMPLE)):
        (fixtures / kind).mkdir(parents=True)
        (fixtures / kind / "example.yaml").write_text(example, encoding="utf-8")
    docs = regenerate_docs(ROOT)
    print(f"wrote {path.relative_to(ROOT)}, registered it in rules/__init__.py, "
          f"wrote {fixtures.relative_to(ROOT)}/{{bad,good}}/example.yaml, regenerated {docs.relative_to(ROOT)}")
    print(f"next: write check(), edit the examples and fixtures, then "
          f"NETPOL_LINT_UPDATE_SNAPSHOTS=1 pytest tests/test_rule_fixtures.py -k {rule_id.lower()} "
          f"and pytest tests/test_rule_examples.py -k {rule_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
