"""Configuration: ``.netpol-lint.yaml`` or ``[tool.netpol-lint]`` in ``pyproject.toml``.

Every key of CONTRACT.md is validated; an unknown key, a wrong type or an unknown rule id is a
``ConfigError`` (exit 2) naming the file and the key.  Command-line options override the file.
"""
from __future__ import annotations

import ipaddress
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError
from .load.loader import YAMLDataError, load_yaml_data

CONFIG_NAMES = (".netpol-lint.yaml", ".netpol-lint.yml")
SEVERITIES = ("error", "warning", "info")
FAIL_ON = ("error", "warning", "info", "never")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")   # a namespace or Service name

PLATFORMS = ("gardener", "generic")             # model/platform.py reads their data


@dataclass
class Config:
    path: str | None = None                      # file the config came from (None = defaults)
    network_policies: str | None = None          # "enabled" | "disabled" | None (from the CR)
    default_namespace: str = "default"
    fail_on: str = "error"
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    # rule id or name -> that rule's options (RuleOption); checked against the rules, and
    # keyed by rule id, when the rules are loaded (RuleRegistry.validate_options)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_server_port: int = 443
    pod_cidrs: list[str] = field(default_factory=list)
    ipblock_pods: str = "by-ip"
    rules: list[str] = field(default_factory=list)
    external_services: list[str] = field(default_factory=list)   # "ns/name": installed from elsewhere (NPL109)
    platform: str = "gardener"                   # RULES.md "The platform": gardener | generic
    expectations: str | None = None              # connectivity expectations file, as written
    units: list[str] | None = None               # unit globs; None: the automatic split

    @property
    def scrapers(self) -> list[dict]:
        """NPL106's ``scrapers`` option (the impact view groups changes by them too)."""
        return list(self.rule_options.get("NPL106", {}).get("scrapers", []))

    @property
    def base_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def anchored(self, glob: str) -> str:
        """A config glob made absolute: paths in a config file are relative to its directory,
        wherever the tool runs from (ruff's rule).  Without a config file: unchanged."""
        if not self.path or os.path.isabs(glob):
            return glob
        return os.path.join(self.base_dir, glob).replace(os.sep, "/")

    @property
    def anchored_excludes(self) -> list[str]:
        return [self.anchored(g) for g in self.exclude]

    def per_file_ignores_anchored(self) -> list[tuple[str, str, list[str]]]:
        """``(glob as written, absolute glob, rules)`` per entry of ``per_file_ignores``."""
        return [(g, self.anchored(g), rules) for g, rules in self.per_file_ignores.items()]


def is_namespace_name(v: Any) -> bool:
    """A valid namespace name (RFC 1123 label), as the API server requires."""
    return isinstance(v, str) and bool(_DNS_LABEL.match(v))


def _str_list(v: Any, key: str, where: str) -> list[str]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return list(v)


def _labels(v: Any, key: str, where: str) -> dict[str, str]:
    if v is None:
        return {}
    if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()):
        raise ConfigError(f"{where}: '{key}' must map label keys to string values")
    return dict(v)


def _external_services(v: Any, where: str) -> list[str]:
    """``external_services``: Services as ``namespace/name`` (both DNS-1123 labels)."""
    out = []
    for item in _str_list(v or [], "external_services", where):
        ns, sep, name = item.partition("/")
        if not sep or not _DNS_LABEL.match(ns) or not _DNS_LABEL.match(name):
            raise ConfigError(f"{where}: 'external_services': '{item}' is not namespace/name")
        out.append(item)
    return out


def from_mapping(data: Any, where: str, known_rule: callable = lambda r: True) -> Config:
    """Validate a parsed config mapping into a ``Config`` (``where`` names the file)."""
    cfg = Config(path=where if where and os.path.exists(where) else None)
    if data is None:
        return cfg
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the configuration must be a mapping")

    def rule_ids(values: list[str], key: str) -> list[str]:
        for r in values:
            if not known_rule(r):
                raise ConfigError(f"{where}: '{key}': unknown rule '{r}'")
        return values

    deprecated_scrapers: Any = None
    for key, v in data.items():
        if key == "network_policies":
            if v not in ("enabled", "disabled"):
                raise ConfigError(f"{where}: 'network_policies' must be 'enabled' or 'disabled'")
            cfg.network_policies = v
        elif key == "default_namespace":
            if not is_namespace_name(v):
                raise ConfigError(f"{where}: 'default_namespace' must be a namespace name (lowercase letters, "
                                  f"digits and '-', at most 63 characters), got {v!r}")
            cfg.default_namespace = v
        elif key == "fail_on":
            if v not in FAIL_ON:
                raise ConfigError(f"{where}: 'fail_on' must be one of {', '.join(FAIL_ON)}")
            cfg.fail_on = v
        elif key in ("select", "ignore"):
            setattr(cfg, key, rule_ids(_str_list(v or [], key, where), key))
        elif key == "severity":
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: 'severity' must map rule ids to error|warning|info")
            for r, sev in v.items():
                rule_ids([str(r)], "severity")
                if sev not in SEVERITIES:
                    raise ConfigError(f"{where}: 'severity.{r}' must be one of {', '.join(SEVERITIES)}")
            cfg.severity = {str(k): s for k, s in v.items()}
        elif key == "exclude":
            cfg.exclude = _str_list(v or [], key, where)
        elif key == "per_file_ignores":
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: 'per_file_ignores' must map path globs to rule lists")
            cfg.per_file_ignores = {str(g): rule_ids(_str_list(rs, f"per_file_ignores.{g}", where), "per_file_ignores")
                                    for g, rs in v.items()}
        elif key == "namespaces":
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: 'namespaces' must map namespace names to labels")
            cfg.namespaces = {str(n): _labels(ls, f"namespaces.{n}", where) for n, ls in v.items()}
        elif key == "rule_options":
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: 'rule_options' must map rule ids or names to their options")
            for r, opts in v.items():
                rule_ids([str(r)], "rule_options")
                if not isinstance(opts, dict):
                    raise ConfigError(f"{where}: 'rule_options.{r}' must map option names to values")
                cfg.rule_options.setdefault(str(r), {}).update(opts)
        elif key == "scrapers":
            # deprecated: NPL106's option now (rule_options: {NPL106: {scrapers: ...}}); checked
            # with the rule's other options, and a 'rule_options' value wins
            print(f"netpol-lint: note: {where}: 'scrapers' is deprecated; write it as "
                  "'rule_options: {NPL106: {scrapers: [...]}}'", file=sys.stderr)
            deprecated_scrapers = v
        elif key == "api_server_port":
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 65535:
                raise ConfigError(f"{where}: 'api_server_port' must be a port number 1-65535")
            cfg.api_server_port = v
        elif key == "pod_cidrs":
            cidrs = _str_list(v or [], key, where)
            for c in cidrs:
                try:
                    ipaddress.ip_network(c, strict=False)
                except ValueError:
                    raise ConfigError(f"{where}: 'pod_cidrs': '{c}' is not a CIDR") from None
            cfg.pod_cidrs = cidrs
        elif key == "ipblock_pods":
            if v not in ("by-ip", "never"):
                raise ConfigError(f"{where}: 'ipblock_pods' must be 'by-ip' or 'never'")
            cfg.ipblock_pods = v
        elif key == "rules":
            cfg.rules = _str_list(v or [], key, where)
        elif key == "external_services":
            cfg.external_services = _external_services(v, where)
        elif key == "platform":
            if v not in PLATFORMS:
                raise ConfigError(f"{where}: 'platform' must be one of {', '.join(PLATFORMS)}")
            cfg.platform = v
        elif key == "expectations":
            if not isinstance(v, str) or not v.strip():
                raise ConfigError(f"{where}: 'expectations' must be the path of an expectations file")
            cfg.expectations = v
        elif key == "units":
            cfg.units = _str_list(v if v is not None else [], key, where)
        else:
            raise ConfigError(f"{where}: unknown key '{key}'{did_you_mean(str(key), KNOWN_KEYS)}")
    if deprecated_scrapers is not None:
        npl106 = next((r for r in cfg.rule_options if r in ("NPL106", "missing-metrics-label")), "NPL106")
        cfg.rule_options.setdefault(npl106, {}).setdefault("scrapers", deprecated_scrapers)
    if cfg.per_file_ignores and cfg.path:
        cfg.per_file_ignores = AnchoredGlobs(cfg.per_file_ignores)
        cfg.per_file_ignores.anchored = cfg.anchored
    return cfg


class AnchoredGlobs(dict):
    """``per_file_ignores`` as written, plus ``anchored(glob)``: the suppressor matches each
    glob against absolute paths, relative to the config file's directory."""

    anchored = None


# Every key the loop above accepts (CONTRACT.md "Config file"); for the did-you-mean hint only.
KNOWN_KEYS = ("network_policies", "default_namespace", "fail_on", "select", "ignore", "severity", "exclude",
              "per_file_ignores", "namespaces", "scrapers", "api_server_port", "pod_cidrs", "ipblock_pods",
              "rules", "platform", "units", "external_services", "expectations", "rule_options")


def did_you_mean(word: str, choices) -> str:
    """``; did you mean 'x'?`` for the closest choice (case and ``-``/``_`` ignored), else ``""``."""
    import difflib

    norm = {c.lower().replace("-", "_"): c for c in choices}
    close = difflib.get_close_matches(word.lower().replace("-", "_"), list(norm), 1, 0.7)
    return f"; did you mean '{norm[close[0]]}'?" if close else ""


def discover_config(start: str | None = None) -> str | None:
    """``.netpol-lint.yaml`` in ``start`` or a parent, else a ``pyproject.toml`` with our table."""
    d = os.path.abspath(start or os.getcwd())
    while True:
        for name in CONFIG_NAMES:
            p = os.path.join(d, name)
            if os.path.isfile(p):
                return p
        pp = os.path.join(d, "pyproject.toml")
        if os.path.isfile(pp) and _has_tool_table(pp):
            return pp
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return "netpol-lint" in tomllib.load(fh).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def raw_rule_dirs(path: str | None) -> list[str]:
    """The ``rules:`` directories a config file names, absolute, read before the config is
    validated (validation needs the rules they hold).  Problems are left to ``load_config``."""
    if path is None:
        return []
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if path.endswith(".toml"):
            import tomllib
            data = tomllib.loads(raw.decode("utf-8")).get("tool", {}).get("netpol-lint")
        else:
            data = load_yaml_data(raw.decode("utf-8"))
    except Exception:
        return []   # load_config reports the real problem
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return []
    base = os.path.dirname(os.path.abspath(path))
    return [os.path.join(base, d) for d in data["rules"] if isinstance(d, str)]


def load_config(path: str | None, known_rule: callable = lambda r: True) -> Config:
    """Read and validate a config file (``None``: defaults).  Raises ``ConfigError``."""
    if path is None:
        return Config()
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read config: {exc.strerror or exc}") from None
    if path.endswith(".toml"):
        try:
            data = tomllib.loads(raw.decode("utf-8")).get("tool", {}).get("netpol-lint")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{shown}: invalid TOML: {exc}") from None
        data = {k.replace("-", "_"): v for k, v in (data or {}).items()} if isinstance(data, dict) else data
    else:
        try:
            data = load_yaml_data(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(f"{shown}: invalid YAML: not UTF-8") from None
        except YAMLDataError as exc:
            where = f":{exc.line}:{exc.column}" if exc.line else ""
            raise ConfigError(f"{shown}{where}: invalid YAML: {exc}") from None
    cfg = from_mapping(data, shown, known_rule)
    cfg.path = os.path.abspath(path)
    return cfg
