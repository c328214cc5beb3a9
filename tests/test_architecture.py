"""The pipeline is visible from the folder names, and nothing imports upward.

Layers, lowest first (docs/architecture.md)::

    foundation (errors, config, options, fsutil, wording)
    load → model → analysis → engine + rules (+ rego) → api (+ the package facade) → report → commands → cli

A module may import its own layer and any layer below it.  Checked on the source with ``ast``
(every import statement, including those inside functions), so a lazy import cannot hide a
cycle either.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "netpol_lint"

LAYERS = ["foundation", "load", "model", "analysis", "engine", "api", "report", "commands", "cli"]
# where each top-level module or package of netpol_lint sits
PLACE = {
    "__init__": "api", "errors": "foundation", "config": "foundation", "options": "foundation",
    "fsutil": "foundation", "wording": "foundation", "data": "foundation", "__main__": "cli",
    "load": "load", "model": "model", "analysis": "analysis",
    "engine": "engine", "rules": "engine", "rego": "engine",
    "api": "api", "report": "report", "commands": "commands", "cli": "cli", "lsp": "commands",
}
# foundation modules may use the loader's YAML reading and limits (config files are YAML)
FOUNDATION_MAY_USE = {"load"}


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).with_suffix("")
        yield ("netpol_lint." + ".".join(rel.parts)).removesuffix(".__init__"), path
    for path in sorted((ROOT / "rules").glob("*.py")):
        yield "netpol_lint.rules." + path.stem if path.stem != "__init__" else "netpol_lint.rules", path


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(module: str, path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not node.module:           # from . import x: x may be a submodule
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, target


def test_every_package_module_has_a_layer():
    tops = {_top(m) for m, _ in _modules()}
    assert tops <= set(PLACE), f"place these in PLACE (and docs/architecture.md): {sorted(tops - set(PLACE))}"


def test_nothing_imports_upward():
    problems = []
    for module, path in _modules():
        here = PLACE[_top(module)]
        for line, target in _imports(module, path):
            if not (target == "netpol_lint" or target.startswith("netpol_lint.")):
                continue
            there = PLACE.get(_top(target), "foundation")
            if here == "foundation" and there in FOUNDATION_MAY_USE:
                continue
            if LAYERS.index(there) > LAYERS.index(here):
                problems.append(f"{path.relative_to(ROOT)}:{line}: {here} imports {target} ({there})")
    assert not problems, "upward imports:\n" + "\n".join(problems)


def _package_modules(package: str):
    for module, path in _modules():
        if _top(module) == package:
            yield module, path


@pytest.mark.parametrize("package", ["load", "model", "analysis", "engine", "report", "commands"])
def test_no_private_names_imported_across_modules(package):
    """``from .x import _name`` couples a module to another's internals: a name two modules
    share is public (and lives where both can import it without a cycle)."""
    problems = []
    for module, path in _package_modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("netpol_lint")):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {', '.join(private)}")
    assert not problems, "private names imported across modules:\n" + "\n".join(problems)


def test_no_import_cycle_in_load():
    """Within ``load/`` the imports form no cycle (the fast parser and the loader once
    imported each other; the shared pieces live in ``load/text.py`` now)."""
    graph: dict[str, set[str]] = {}
    for module, path in _package_modules("load"):
        graph[module] = {t for _, t in _imports(module, path) if t.startswith("netpol_lint.load.")}
    state: dict[str, int] = {}

    def visit(m, trail):
        if state.get(m) == 1:
            raise AssertionError("import cycle: " + " -> ".join(trail + [m]))
        if state.get(m) == 2 or m not in graph:
            return
        state[m] = 1
        for t in sorted(graph[m]):
            visit(t, trail + [m])
        state[m] = 2

    for m in sorted(graph):
        visit(m, [])


RULE_ID = re.compile(r"(NPL|REGO)\d{3}")


@pytest.mark.parametrize("package", ["load", "model", "analysis"])
def test_load_has_no_rule_ids(package):
    """Below the rules layer problems are data (a kind, a cause): only ``rules/`` and the
    engine turn them into rule ids.  No string literal there is a rule id."""
    problems = []
    for module, path in _package_modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE_ID.fullmatch(node.value):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not problems, "rule ids below the rules layer:\n" + "\n".join(problems)
