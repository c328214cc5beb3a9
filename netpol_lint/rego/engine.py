"""Load and evaluate Rego policies with ``regopy`` (the rego-cpp interpreter for Python).

Why these choices:

* **One interpreter per run.**  All modules are added once; each resource only swaps the
  input, which costs well under a millisecond per query.
* **Compile up front.**  rego-cpp compiles lazily at the first query, so a probe query runs
  right after loading; a syntax or type error becomes one ``PolicyError`` line naming the
  file, line and column (exit 2), before any linting starts.
* **Capture fd 1.**  rego-cpp prints compiler diagnostics straight to the process's stdout,
  which would corrupt ``--format json``/``sarif`` output; every call into the library runs
  with fd 1 pointed at a temporary file, whose text feeds the error message instead.
* **Syntax.**  rego-cpp reads Rego v1 (``deny contains msg if { … }``, what conftest ≥ 0.56
  and OPA 1.x expect).  v0-style ``deny[msg] { … }`` also parses; its value comes back as an
  object and ``results.py`` reads it as the set it was meant to be.
* ``*_test.rego`` files (``conftest verify`` tests) are not loaded, nor are data files:
  policies see ``input`` only.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime

from ..load.documents import Location
from ..load.loader import display_path
from ..engine.plugins import PluginError
from .results import PolicyResult, results_of

NAMESPACE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PACKAGE_RE = re.compile(r"^\s*package\s+([A-Za-z0-9_.\[\]\"]+)", re.M)
_ERROR_LOC_RE = re.compile(r"^--\s+(.+?):(\d+):(\d+)\s*$", re.M)
INSTALL_HINT = "pip install 'netpol-lint[rego]'"


class PolicyError(PluginError):
    """Policies that cannot be loaded or evaluated (exit 2, one line)."""


def _regopy():
    try:
        import regopy
    except ImportError:
        raise PolicyError(f"--policy needs the Rego interpreter regopy, which is not installed: {INSTALL_HINT}") from None
    return regopy


@contextlib.contextmanager
def captured_stdout():
    """Point fd 1 at a temporary file for the duration; yields a list that receives its text."""
    sink: list[str] = []
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError, OSError):
        pass
    try:
        saved = os.dup(1)
    except OSError:             # no fd 1 at all (a daemon): nothing to protect
        yield sink
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            yield sink
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            sink.append(tmp.read().decode("utf-8", "replace"))


def json_safe(value, depth: int = 0):
    """Plain JSON types only (YAML timestamps become ISO strings, odd keys become strings)."""
    if depth > 200:
        return None
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


@dataclass
class Module:
    path: str                     # display path
    package: str
    source: str

    def rule_line(self, rule: str) -> tuple[int, int] | None:
        """1-based (line, column) of the first definition of ``rule`` in this module."""
        m = re.search(rf"^([ \t]*){re.escape(rule)}\b", self.source, re.M)
        if m is None:
            return None
        return self.source.count("\n", 0, m.start()) + 1, len(m.group(1)) + 1


@dataclass
class PolicySet:
    modules: list[Module]
    namespaces: tuple[str, ...] = ("main",)
    combine: bool = False
    _rego: object = field(default=None, repr=False)
    _cache: tuple | None = field(default=None, repr=False)
    _rule_locations: dict = field(default_factory=dict, repr=False, compare=False)

    # -- evaluation ------------------------------------------------------------------------
    def _query(self, input_value, namespace: str):
        """The package's rule values for one input (``{}`` when the package is undefined)."""
        regopy = _regopy()
        steps = "".join(f'["{p}"]' for p in namespace.split("."))
        self._rego.set_input(regopy.Input(input_value))
        out = self._rego.query(f"x = data{steps}")
        if not out.ok():
            raise PolicyError(f"policy evaluation failed in package '{namespace}' (conflicting rule values or a "
                              "runtime error in the policy)")
        for res in out.results:
            value = res.bindings.get("x") if isinstance(res.bindings, dict) else None
            if isinstance(value, dict):
                return value
        return {}

    def evaluate_one(self, input_value) -> list[PolicyResult]:
        out: list[PolicyResult] = []
        for ns in self.namespaces:
            out.extend(results_of(ns, self._query(input_value, ns)))
        return out

    def evaluate(self, inputs: list) -> list[list[PolicyResult]]:
        """Results per input, with library output kept off our stdout."""
        with captured_stdout():
            return [self.evaluate_one(json_safe(i)) for i in inputs]

    def module_for(self, package: str, rule: str) -> tuple[str, int, int] | None:
        """(file, line, column) where ``package.rule`` is defined."""
        for m in self.modules:
            hit = m.rule_line(rule) if m.package == package else None
            if hit is not None:
                return (m.path, *hit)
        return None

    def rule_location(self, package: str, rule: str) -> Location | None:
        """The name of ``package.rule`` at its definition (``module_for``), once per rule."""
        key = (package, rule)
        if key not in self._rule_locations:
            where = self.module_for(package, rule)
            if where is not None:
                file, line, col = where
                where = Location(file, line, col, line, col + len(rule))
            self._rule_locations[key] = where
        return self._rule_locations[key]


def _rego_files(directory: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".rego") and not name.endswith("_test.rego"):
                out.append(os.path.join(root, name))
    return out


def _compile_error(text: str, fallback: str) -> str:
    """``file:line:col: message`` from rego-cpp's printed diagnostics."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    message = next((ln.strip() for ln in lines if ln.strip() != "Errors:" and not ln.startswith("--")), None)
    m = _ERROR_LOC_RE.search(text)
    if m and message:
        return f"{m.group(1)}:{m.group(2)}:{m.group(3)}: {message}"
    if message:
        return message
    rest = fallback.strip().splitlines()
    return rest[0] if rest else "unknown error"


def load_policies(directories: list[str], namespaces: list[str] = (), combine: bool = False) -> PolicySet:
    """Read every ``*.rego`` under ``directories`` and compile them (``PolicyError`` if not)."""
    regopy = _regopy()
    namespaces = tuple(dict.fromkeys(n.strip() for ns in (namespaces or ["main"]) for n in ns.split(",") if n.strip()))
    for ns in namespaces:
        if not NAMESPACE_RE.match(ns):
            raise PolicyError(f"--namespace '{ns}' is not a Rego package name (like main or policies.netpol)")
    modules: list[Module] = []
    for d in directories:
        if not os.path.isdir(d):
            if os.path.isfile(d) and d.endswith(".rego"):
                files = [d]
            else:
                raise PolicyError(f"policy directory not found: {d}")
        else:
            files = _rego_files(d)
        for path in files:
            try:
                with open(path, encoding="utf-8") as fh:
                    source = fh.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise PolicyError(f"cannot read policy {display_path(path)}: {exc}") from None
            m = _PACKAGE_RE.search(source)
            modules.append(Module(display_path(path), m.group(1) if m else "", source))
    if not modules:
        raise PolicyError(f"no .rego files in {', '.join(directories)}")
    rego = regopy.Interpreter()
    with captured_stdout() as printed:
        try:
            for mod in modules:
                rego.add_module(mod.path, mod.source)
            probe = rego.query("x = data")
            ok = probe.ok()
        except regopy.RegoError as exc:
            ok, error = False, str(exc)
        else:
            error = "" if ok else str(probe)
    if not ok:
        raise PolicyError(f"policy does not compile: {_compile_error(''.join(printed), error)}")
    return PolicySet(modules, namespaces, combine, rego)


def combined_input(session) -> list[dict]:
    """conftest ``--combine`` input: ``[{"path": file, "contents": document | [documents]}]``."""
    from ..load.origins import OriginMap

    origins = OriginMap(session.files)
    grouped: dict[str, list] = {}
    for f in session.files:
        for doc in f.documents:
            grouped.setdefault(origins.document_file(doc), []).append(doc.data)
    return [{"path": path, "contents": docs[0] if len(docs) == 1 else docs} for path, docs in sorted(grouped.items())]

