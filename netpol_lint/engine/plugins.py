"""Rule discovery: built-in pack, entry points, ``--rules DIR`` and config ``rules:``.

Order is deterministic (pytest's): built-ins, then entry points sorted by name, then rule
directories in the order given.  ``NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD=1`` turns entry-point
loading off for hermetic runs (the built-in pack is always loaded).

Code from the linted repository is never imported implicitly: Python files in a rule
directory named by a *config file* load only with ``--trust-config``; directories given on
the command line (``--rules``) are trusted because the user named them.  Declarative rule
files are data and always load.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from importlib.metadata import entry_points
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .hookspecs import hookimpl
from ..errors import ConfigError, PluginError
from .rulebase import Rule, validate_rule

ENTRY_POINT_GROUP = "netpol_lint"
RULE_PREFIX_RE = re.compile(r"^[A-Z]+[0-9]*$")
BUILTIN = "netpol_lint.rules"


def new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("netpol_lint")
    pm.add_hookspecs(hookspecs)
    return pm


class RuleRegistry:
    """All rules known to this run, by id and by name."""

    def __init__(self, pm: pluggy.PluginManager | None = None):
        self.pm = pm or new_manager()
        self.rules: dict[str, Rule] = {}
        self.by_name: dict[str, Rule] = {}
        self.untrusted_python: list[str] = []   # Python rule files a config named, not imported

    # -- loading ----------------------------------------------------------------------
    @classmethod
    def default(cls, rule_dirs: Sequence[str] = (), untrusted_dirs: Sequence[str] = (), trust_config: bool = False,
                autoload: bool | None = None) -> "RuleRegistry":
        reg = cls()
        builtin = importlib.import_module(BUILTIN)
        reg.pm.register(builtin, name="builtin")
        if autoload is None:
            autoload = os.environ.get("NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0")
        if autoload:
            for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                if ep.value == BUILTIN or reg.pm.has_plugin(ep.name):
                    continue
                try:
                    reg.pm.register(ep.load(), name=ep.name)
                except Exception as exc:  # a broken third-party plugin is a load error, not a crash
                    raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from None
        for d in rule_dirs:
            reg.load_dir(d, allow_python=True)
        for d in untrusted_dirs:
            reg.load_dir(d, allow_python=trust_config)
        reg.collect()
        return reg

    def load_dir(self, directory: str, allow_python: bool) -> None:
        from .declarative import load_rule_file

        if not os.path.isdir(directory):
            raise PluginError(f"rule directory not found: {directory}")
        rules: list[Rule] = []
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue  # a FIFO or device named like a rule file would block the read
            if name.endswith((".yaml", ".yml")):
                rules.append(load_rule_file(path))
            elif name.endswith(".py") and not name.startswith("_"):
                if not allow_python:
                    self.untrusted_python.append(path)  # skipped on purpose: see module docstring
                    continue
                self.pm.register(_import_file(path), name=f"file:{os.path.abspath(path)}")
        if rules:
            holder = _StaticRules(rules)
            self.pm.register(holder, name=f"dir:{os.path.abspath(directory)}")

    def collect(self) -> None:
        impls = sorted(self.pm.hook.netpol_lint_rules.get_hookimpls(), key=lambda i: _plugin_order(i.plugin_name))
        for impl in impls:
            plugin_name = impl.plugin_name
            items: Iterable[Any] = impl.function() or ()  # type: ignore[assignment]  # pluggy's hook functions are untyped
            for item in items:
                rule = item() if isinstance(item, type) else item
                if not isinstance(rule, Rule):
                    raise PluginError(f"plugin '{plugin_name}' returned {item!r}, which is not a Rule")
                problem = validate_rule(rule)
                if problem:
                    raise PluginError(f"plugin '{plugin_name}': {problem}")
                if rule.id in self.rules:
                    raise PluginError(f"rule id {rule.id} is defined twice ({self.rules[rule.id].source} and {plugin_name})")
                if rule.name in self.by_name:
                    raise PluginError(f"rule name {rule.name} is defined twice")
                if rule.source == "builtin" and plugin_name != "builtin":
                    rule.source = plugin_name
                self.rules[rule.id] = rule
                self.by_name[rule.name] = rule

    # -- lookups ----------------------------------------------------------------------
    def resolve(self, ref: str) -> Rule | None:
        """A rule by id (case-insensitive) or name."""
        return self.rules.get(ref.upper()) or self.by_name.get(ref.lower())

    def select(self, ref: str) -> list[Rule]:
        """Rules a selector names: an id, a name, ``all``, or an id prefix like ruff's
        (``NPL2`` = every NPL2xx rule, ``NPL`` = every NPL rule)."""
        if ref.lower() == "all":
            return self.sorted()
        exact = self.resolve(ref)
        if exact is not None:
            return [exact]
        prefix = ref.strip().upper()
        if RULE_PREFIX_RE.match(prefix):
            return [r for r in self.sorted() if r.id.startswith(prefix)]
        return []

    def is_known(self, ref: str) -> bool:
        return bool(self.select(ref))

    def sorted(self) -> list[Rule]:
        return [self.rules[k] for k in sorted(self.rules)]

    def validate_options(self, given: dict[str, dict[str, Any]], where: str) -> dict[str, dict[str, Any]]:
        """The config's ``rule_options`` checked against each rule's declared options, keyed
        by rule id; a ``ConfigError`` names the file, rule and option otherwise."""
        out: dict[str, dict[str, Any]] = {}
        for ref, opts in given.items():
            rule = self.resolve(ref)
            if rule is None:
                raise ConfigError(f"{where}: 'rule_options': unknown rule '{ref}'")
            try:
                out.setdefault(rule.id, {}).update(rule.validate_options(opts, f"rule_options.{ref}"))
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        return out


class _StaticRules:
    """A plugin object that serves a fixed list of rules (for rule directories)."""

    def __init__(self, rules: list[Rule]):
        self._rules = rules

    @hookimpl
    def netpol_lint_rules(self) -> list[Rule]:
        return list(self._rules)


def _plugin_order(name: str) -> tuple[int, str]:
    if name == "builtin":
        return (0, "")
    if name.startswith(("dir:", "file:")):
        return (2, name)
    return (1, name)


def _import_file(path: str) -> ModuleType:
    mod_name = "netpol_lint_user_rules_" + str(abs(hash(os.path.abspath(path))))
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot import rule file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise PluginError(f"rule file {path} failed to import: {exc}") from None
    return module
