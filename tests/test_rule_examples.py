"""Every rule's documented examples do what the documentation says: ``bad_example`` fires
exactly that rule, ``good_example`` fires nothing at all.

The examples are what ``netpol-lint explain``, ``docs/rules.md`` and SARIF rule help show, so
each is a complete input, not a fragment: every manifest the rule needs to see the problem
(the Service and route in front of a workload, the Istio CR that turns the module's policies
off, the Namespace that enables injection) is part of it.  Each example is linted on its own,
in-process, with **every** rule enabled (``--select all``: also the rules that are off by
default, such as NPL107, so a user who turns one on never sees it fire on another rule's
example), and the bad example once more with the default rule set.

An example may hold more than one file (a config, an expectations file, a Rego policy): a
line ``# file: PATH`` starts the file PATH, up to the next such line; the text before the
first one is ``manifest.yaml``.  The lines of a file that is not YAML or JSON (``.rego``) are
written in the example as comments (``# package main``), so the example as a whole stays
valid YAML; the test removes the leading ``# `` (or ``#``).  A ``.rego`` file's directory is
passed as ``--policy DIR``, the way conftest users run Rego policies.  A config file, if the
example needs one, is ``.netpol-lint.yaml`` and is found like a user's; so is
``.netpol-lint-expect.yaml``.

Every registered rule is checked (a new rule whose examples do not work fails here): there is
no skip list.  ``CO_FIRING`` is the allow-list of rules a bad example may fire besides its own,
each with the reason it cannot be avoided.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import tempfile
from pathlib import Path

import pytest

from netpol_lint.cli import main
from netpol_lint.engine.plugins import RuleRegistry

REGISTRY = RuleRegistry.default(autoload=False)
RULES = REGISTRY.sorted()
FILE_MARKER = re.compile(r"^# file: (\S+)\s*$")
DEFAULT_FILE = "manifest.yaml"
YAML_SUFFIXES = (".yaml", ".yml", ".json")

# rule id -> rules its bad example must fire too, because the contract (RULES.md) makes them co-fire
CO_FIRING: dict[str, set[str]] = {
    # NPL302 reports a NetworkPolicy *with the managed labels* that differs from the module's;
    # NPL301 reports every resource with the managed labels.  A modified managed policy is both.
    "NPL302": {"NPL301"},
}


def example_files(text: str) -> dict[str, str]:
    """The files of an example: ``{path: text}`` (see the module docstring)."""
    files: dict[str, list[str]] = {}
    current = DEFAULT_FILE
    for line in text.splitlines():
        m = FILE_MARKER.match(line)
        if m:
            current = m.group(1)
            assert current not in files, f"file {current} appears twice in the example"
            files[current] = []
            continue
        if not current.endswith(YAML_SUFFIXES):
            line = re.sub(r"^# ?", "", line)
        files.setdefault(current, []).append(line)
    return {path: "\n".join(lines) + "\n" for path, lines in files.items()
            if path != DEFAULT_FILE or any(ln.strip() for ln in lines)}


def lint_example(text: str, *args: str) -> list[tuple[str, int, int, str]]:
    """Lint the example's files in a scratch directory, in-process: ``[(rule, line, column,
    message)]``.  An example the linter refuses (exit 2: no manifest in it, a bad config) fails
    with the linter's error line."""
    files = example_files(text)
    with tempfile.TemporaryDirectory() as tmp:
        for path, body in files.items():
            target = Path(tmp, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        policies = sorted({str(Path(p).parent) for p in files if p.endswith(".rego")})
        extra = [a for d in policies for a in ("--policy", d)]
        manifests = [p for p in files if p.endswith(YAML_SUFFIXES) and not Path(p).name.startswith(".")]
        assert manifests, "the example has no manifest file"
        out, err = io.StringIO(), io.StringIO()
        old = os.getcwd()
        try:
            os.chdir(tmp)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["lint", *manifests, *extra, *args, "--fail-on", "never", "--format", "json"])
        finally:
            os.chdir(old)
    assert code == 0, f"the linter refuses the example (exit {code}): {err.getvalue().strip()}"
    return [(f["rule"], f["line"], f["column"], f["message"]) for f in json.loads(out.getvalue())["findings"]]


def registry_rule(rule_id: str):
    rule = REGISTRY.resolve(rule_id)
    assert rule is not None, f"CO_FIRING names {rule_id}, which is no rule"
    return rule


def _fired(findings) -> set[str]:
    return {f[0] for f in findings}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_bad_example_fires_exactly_its_rule(rule):
    assert rule.bad_example.strip(), f"{rule.id} has no bad_example"
    allowed = {rule.id} | CO_FIRING.get(rule.id, set())
    every = lint_example(rule.bad_example, "--select", "all")
    assert rule.id in _fired(every), f"{rule.id}: its bad_example fires nothing of its own: {every}"
    assert _fired(every) == allowed, f"{rule.id}: its bad_example fires {sorted(_fired(every))}: {every}"
    default = lint_example(rule.bad_example)
    expected = {r for r in allowed if registry_rule(r).enabled_by_default}
    assert _fired(default) == expected, f"{rule.id}: with the default rule set its bad_example fires {default}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_good_example_is_clean(rule):
    assert rule.good_example.strip(), f"{rule.id} has no good_example"
    assert lint_example(rule.good_example, "--select", "all") == [], f"{rule.id}: its good_example is not clean"


def test_example_files_splits_on_file_markers():
    text = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
            "# file: policy/main.rego\n# package main\n#\n#   deny contains msg if { false }\n"
            "# file: .netpol-lint.yaml\nnetwork_policies: enabled\n")
    assert example_files(text) == {
        "manifest.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
        "policy/main.rego": "package main\n\n  deny contains msg if { false }\n",
        ".netpol-lint.yaml": "network_policies: enabled\n",
    }
    assert example_files("# file: a.yaml\nx: 1\n") == {"a.yaml": "x: 1\n"}


def test_the_meta_tests_fail_on_a_fragment_a_second_rule_and_an_unclean_good_example():
    npl107 = REGISTRY.resolve("NPL107")
    fragment = copy.copy(REGISTRY.resolve("NPL202"))
    fragment.bad_example = "ingress:\n- from:\n  - namespaceSelector: {}\n  - podSelector: {}\n"
    with pytest.raises(AssertionError, match="the linter refuses the example .exit 2.: .*no Kubernetes manifest"):
        test_bad_example_fires_exactly_its_rule(fragment)
    two = copy.copy(npl107)
    two.bad_example = npl107.bad_example + "---\n" + npl107.bad_example      # NPL004 too
    with pytest.raises(AssertionError, match=r"NPL107: its bad_example fires \['NPL004', 'NPL107'\]"):
        test_bad_example_fires_exactly_its_rule(two)
    unclean = copy.copy(npl107)
    unclean.good_example = npl107.bad_example    # off by default, but every rule is on here
    with pytest.raises(AssertionError, match="NPL107: its good_example is not clean"):
        test_good_example_is_clean(unclean)
