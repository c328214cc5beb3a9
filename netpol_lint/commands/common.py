"""Options and set-up shared by every subcommand: config, rules, the input session."""
from __future__ import annotations

import argparse
import os


from ..config import Config, ConfigError, discover_config, load_config
from ..load.loader import load_yaml_data
from ..engine.plugins import RuleRegistry
from ..model.session import Session


class UsageError(Exception):
    """Bad command-line usage (exit 2, one line)."""


class Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line (CONTRACT.md: exit 2, no usage dump)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(message)


def add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, directories, or - for stdin")
    p.add_argument("--config", metavar="FILE", help="config file (default: discovered .netpol-lint.yaml / pyproject.toml)")
    p.add_argument("--default-namespace", metavar="NS", help="namespace for resources without one (default: default)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB (repeatable)")
    p.add_argument("--assume-network-policies", choices=("enabled", "disabled"),
                   help="override what the input's Istio CR says")
    p.add_argument("--platform", choices=("gardener", "generic"), default=None,
                   help="what the cluster runs on: kube-system's labels, CoreDNS's port, the API server "
                        "(default: config, else gardener)")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="load extra rules from DIR")
    p.add_argument("--trust-config", action="store_true",
                   help="allow Python rule files from directories named in the config file")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel parsing processes")
    p.add_argument("--max-file-size", type=_size, default=None, metavar="SIZE",
                   help="larger files are NPL001, not read (default 64M; K/M/G suffixes)")
    p.add_argument("--max-depth", type=_positive, default=None, metavar="N",
                   help="deeper-nested documents are NPL001 (default 200)")
    p.add_argument("--max-nodes", type=_positive, default=None, metavar="N",
                   help="documents with more nodes, aliases expanded, are NPL001 (default 2000000)")
    p.add_argument("-v", "--verbose", action="store_true", help="more detail (and tracebacks on internal errors)")


def _size(text: str) -> int:
    from ..load.loader import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def input_limits(args):
    """The loader's ``Limits`` with the ``--max-*`` options applied (docs/limits.md)."""
    from ..load.loader import Limits

    defaults = Limits()
    return Limits(max_file_bytes=getattr(args, "max_file_size", None) or defaults.max_file_bytes,
                  max_nodes_per_document=getattr(args, "max_nodes", None) or defaults.max_nodes_per_document,
                  max_depth=getattr(args, "max_depth", None) or defaults.max_depth)


def _raw_config(path: str | None) -> tuple[str | None, object]:
    if path is None:
        return None, None
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if path.endswith(".toml"):
            import tomllib
            return path, tomllib.loads(raw.decode("utf-8")).get("tool", {}).get("netpol-lint")
        return path, load_yaml_data(raw.decode("utf-8"))
    except Exception:
        return path, None  # load_config reports the real problem


def split_rule_refs(value: str) -> list[str]:
    """``--select``/``--ignore`` text: comma-separated rule ids or names."""
    return [x.strip() for x in value.split(",") if x.strip()]


def check_rule_refs(registry: RuleRegistry, args) -> None:
    """UsageError for the first rule in ``--select`` or ``--ignore`` that no loaded rule answers to."""
    for ref in split_rule_refs(args.select) + split_rule_refs(args.ignore):
        if not registry.is_known(ref):
            raise UsageError(f"unknown rule '{ref}'")


def load_config_and_rules(args) -> tuple[Config, RuleRegistry]:
    """Discover and validate the config, then load every rule source it and the CLI name."""
    if getattr(args, "config", None):
        if not os.path.isfile(args.config):
            raise ConfigError(f"config file not found: {args.config}")
        cfg_path = args.config
    else:
        cfg_path = discover_config()
    _, raw = _raw_config(cfg_path)
    cfg_dirs: list[str] = []
    if isinstance(raw, dict) and isinstance(raw.get("rules"), list):
        base = os.path.dirname(os.path.abspath(cfg_path))
        cfg_dirs = [os.path.join(base, d) for d in raw["rules"] if isinstance(d, str)]
    registry = RuleRegistry.default(rule_dirs=list(getattr(args, "rules", []) or []), untrusted_dirs=cfg_dirs,
                                    trust_config=getattr(args, "trust_config", False))
    config = load_config(cfg_path, registry.is_known)
    if getattr(args, "platform", None):
        config.platform = args.platform
    return config, registry


def load_session(args, config: Config | None = None) -> Session:
    if config is None:
        config, _ = load_config_and_rules(args)
    paths = list(args.paths) or ["."]
    return Session.load(paths, config, default_namespace=args.default_namespace, excludes=args.exclude,
                        assume_network_policies=args.assume_network_policies, jobs=args.jobs,
                        limits=input_limits(args))
