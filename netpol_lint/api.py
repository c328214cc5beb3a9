"""The library behind the CLI: what tools that embed netpol-lint call.

::

    import netpol_lint

    result = netpol_lint.lint(["k8s/"], select=["NPL1"], assume_network_policies="enabled")
    for f in result.findings:
        print(f.location.file, f.location.line, f.rule, f.message)

    verdict = netpol_lint.reach(["k8s/"], "istio-system/istio-ingressgateway", "shop/web", 8080)
    print(verdict.allowed)

Every command of the CLI is built on the same functions: ``load_config_and_rules`` (config
discovery and every rule source), ``load_session`` (the input, with the same limits and
options for every command), ``run`` (a lint run through the one findings pipeline) and
``build_network`` (the reachability engine).  They take an ``Options`` value; ``lint`` and
``reach`` take its fields as keyword arguments.  Errors that end a run are
``netpol_lint.errors.NetpolLintError`` subclasses; findings are never exceptions.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .config import Config, discover_config, load_config, raw_rule_dirs
from .engine import changed as changed_mod
from .engine import pipeline
from .engine.baseline import load as load_baseline
from .engine.linter import LintResult, selected_rules
from .engine.plugins import RuleRegistry
from .errors import ConfigError, UsageError
from .model.session import Session
from .options import Options, split_rule_refs
from .wording import count

if TYPE_CHECKING:  # pragma: no cover
    from .analysis.reachability import Network, Verdict
    from .engine.changed import ChangedScope

__all__ = ["Options", "Run", "build_network", "lint", "load_config_and_rules", "load_session", "reach", "run"]


@dataclass
class Run:
    """One lint run: what was reported and everything it was computed from."""

    result: LintResult
    session: Session
    registry: RuleRegistry
    config: Config
    scope: "ChangedScope | None" = None

    @property
    def fail_on(self) -> str:
        return self.config.fail_on


def load_config_and_rules(options: Options) -> tuple[Config, RuleRegistry]:
    """Discover and validate the config, then load every rule source it and the options name
    (built-in rules, entry points, ``rule_dirs``, the config's ``rules:``, Rego policies)."""
    if options.config_file:
        if not os.path.isfile(options.config_file):
            raise ConfigError(f"config file not found: {options.config_file}")
        cfg_path: str | None = options.config_file
    else:
        cfg_path = discover_config()
    registry = RuleRegistry.default(rule_dirs=list(options.rule_dirs), untrusted_dirs=raw_rule_dirs(cfg_path),
                                    trust_config=options.trust_config)
    if options.policy_dirs:
        from .rego import load_policies
        from .rego.rules import attach
        attach(registry, load_policies(list(options.policy_dirs), list(options.rego_namespaces),
                                       options.rego_combine))
    elif options.rego_combine or options.rego_namespaces:
        raise UsageError("--combine and --namespace apply to Rego policies: add --policy DIR")
    config = load_config(cfg_path, registry.is_known)
    config.rule_options = registry.validate_options(config.rule_options, config.path or "config")
    if options.platform:
        config.platform = options.platform
    return config, registry


def check_rule_refs(registry: RuleRegistry, refs: Iterable[str]) -> None:
    """UsageError for the first rule reference (``--select``/``--ignore``) no loaded rule answers to."""
    for ref in refs:
        if not registry.is_known(ref):
            raise UsageError(f"unknown rule '{ref}'")


def load_session(options: Options, config: Config | None = None, paths: Iterable[str] | None = None) -> Session:
    """The input of a run: ``paths`` (default ``options.paths``) read with the options' limits,
    excludes, jobs and standard-input text; kustomization directories rendered with
    ``options.kustomize``."""
    if config is None:
        config, _ = load_config_and_rules(options)
    paths = list(paths if paths is not None else options.paths) or ["."]
    settings: dict[str, Any] = {"default_namespace": options.default_namespace,
                                "assume_network_policies": options.assume_network_policies}
    if options.kustomize:
        from .load import kustomize
        files, skipped = kustomize.read_rendered(paths, config.anchored_excludes + list(options.exclude), options.jobs,
                                                 options.limits, options.stdin_text)
        return Session.from_files(files, config, skipped=skipped, limits=options.limits, **settings)
    return Session.load(paths, config, excludes=list(options.exclude), jobs=options.jobs, limits=options.limits,
                        stdin_text=options.stdin_text, **settings)


def run(options: Options, *, progress=None, notify: bool = True, use_baseline: bool = True) -> Run:
    """Load, lint and decide what is reported (``engine/pipeline.py``), without rendering.

    ``notify=False`` keeps the ``netpol_lint_findings`` hook quiet (``--fix`` lints twice and
    only the run whose findings are reported notifies); ``use_baseline=False`` ignores
    ``options.baseline`` (``--write-baseline`` records every current finding).
    """
    stage = progress.stage if progress is not None else (lambda text: None)
    config, registry = load_config_and_rules(options)
    check_rule_refs(registry, options.select + options.ignore)
    scope, context = changed_mod.prepare(options, config)
    stage("reading files")
    session = load_session(options, config, context)
    rules = selected_rules(registry, config, options.select, options.ignore)
    stage(f"checking {count(rules, 'rule')} on {count(session.model.resources, 'resource')}")
    counts: Counter | None = load_baseline(options.baseline) if options.baseline and use_baseline else None
    result = pipeline.run(session, registry, rules, scope=scope, baseline=counts,
                          baseline_name=options.baseline or "", verbose=options.verbose, notify=notify)
    return Run(result, session, registry, config, scope)


def lint(paths: Iterable[str] = (".",), **options: Any) -> LintResult:
    """Lint ``paths`` and return what is reported (``LintResult.findings``, sorted).

    Keyword arguments are ``Options`` fields (``select``/``ignore`` also as comma-separated
    text); e.g. ``lint(["k8s"], select="NPL1", assume_network_policies="enabled")``.
    """
    return run(_options(paths, options)).result


def build_network(options: Options, session: Session | None = None) -> tuple[Session, "Network"]:
    """The session and the reachability engine over it (module world, ipBlock and hostNetwork
    conventions from ``options``)."""
    from .analysis.reachability import Network

    if session is None:
        session = load_session(options)
    network = Network.build(session, istio_world=options.istio_world, ipblock_pods=options.ipblock_pods,
                            host_network_enforced=options.host_network_enforced)
    return session, network


def reach(paths: Iterable[str], source: str, destination: str, port: int | str, protocol: str = "TCP",
          **options: Any) -> "Verdict":
    """Whether ``source`` may connect to ``destination`` on ``port``/``protocol`` (the ``reach``
    command): endpoints as the CLI takes them (``NS/NAME``, ``ip:A.B.C.D``, the Istio
    components).  ``EndpointError``/``PortError`` (``ValueError``) for unknown endpoints."""
    _, network = build_network(_options(paths, options))
    return network.allowed(source, destination, port, protocol.upper())


def _options(paths: Iterable[str], options: dict[str, Any]) -> Options:
    for name in ("select", "ignore"):
        if name in options:
            options[name] = split_rule_refs(options[name])
    for name in ("exclude", "rule_dirs", "policy_dirs", "rego_namespaces"):
        if name in options and isinstance(options[name], (list, str)):
            options[name] = (options[name],) if isinstance(options[name], str) else tuple(options[name])
    if isinstance(paths, str):
        paths = [paths]
    return Options(paths=tuple(paths) or (".",), **options)
