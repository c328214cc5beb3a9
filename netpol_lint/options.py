"""What one run is asked to do, as one immutable value.

The CLI builds it from argparse exactly once (``Options.from_args``); the library API
(``netpol_lint.api``) builds it from keyword arguments; everything below the commands
(session loading, ``--changed-only``, kustomize rendering, fixes, baselines, the engine
commands) takes an ``Options`` and never an argparse namespace.  Presentation choices
(``--format``, ``--output``, colour) stay with the commands that render.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .load.loader import Limits

NETWORK_POLICY_CHOICES = ("enabled", "disabled")
FAIL_ON_CHOICES = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Options:
    # -- input ----------------------------------------------------------------------
    paths: tuple[str, ...] = (".",)
    config_file: str | None = None           # None: discovered (.netpol-lint.yaml, pyproject.toml)
    default_namespace: str | None = None     # None: the config's (default "default")
    exclude: tuple[str, ...] = ()
    assume_network_policies: str | None = None
    jobs: int | None = None                  # None: one parse process per CPU
    limits: Limits = field(default_factory=Limits)
    stdin_text: str | None = None            # the text of ``-`` (None: read standard input)
    kustomize: bool = False                  # render kustomization directories with kubectl
    platform: str | None = None              # None: the config's (default gardener); RULES.md "The platform"
    # -- rules ----------------------------------------------------------------------
    rule_dirs: tuple[str, ...] = ()
    trust_config: bool = False               # run Python rule files named by a config file
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    policy_dirs: tuple[str, ...] = ()        # Rego policies
    rego_namespaces: tuple[str, ...] = ()
    rego_combine: bool = False
    # -- what is reported -----------------------------------------------------------
    fail_on: str | None = None               # None: the config's (default "error")
    changed_only: tuple[str, ...] | None = None   # None: off; (): the paths are the changed files
    baseline: str | None = None
    verbose: bool = False
    # -- the reachability engine ----------------------------------------------------
    istio_world: bool = True                 # False: plain Kubernetes (--no-istio)
    ipblock_pods: str | None = None
    host_network_enforced: bool = False

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs must be 1 or more, got {self.jobs}")
        if self.assume_network_policies not in (None, *NETWORK_POLICY_CHOICES):
            raise UsageError(f"assume_network_policies must be enabled or disabled, "
                             f"got {self.assume_network_policies!r}")
        if self.fail_on not in (None, *FAIL_ON_CHOICES):
            raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON_CHOICES)}, got {self.fail_on!r}")

    def replace(self, **changes: Any) -> "Options":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_args(cls, args: Any) -> "Options":
        """The one place that reads the argparse namespace (any subcommand's)."""
        def arg(name: str, default: Any = None) -> Any:
            return getattr(args, name, default)

        defaults = Limits()
        limits = Limits(max_file_bytes=arg("max_file_size") or defaults.max_file_bytes,
                        max_nodes_per_document=arg("max_nodes") or defaults.max_nodes_per_document,
                        max_depth=arg("max_depth") or defaults.max_depth)
        changed = arg("changed_only")
        return cls(
            paths=tuple(arg("paths") or ()) or (".",),
            config_file=arg("config"),
            default_namespace=arg("default_namespace"),
            exclude=tuple(arg("exclude") or ()),
            assume_network_policies=arg("assume_network_policies"),
            jobs=arg("jobs"),
            limits=limits,
            kustomize=bool(arg("kustomize", False)),
            platform=arg("platform"),
            rule_dirs=tuple(arg("rules") or ()),
            trust_config=bool(arg("trust_config", False)),
            select=split_rule_refs(arg("select") or ""),
            ignore=split_rule_refs(arg("ignore") or ""),
            policy_dirs=tuple(arg("policy") or ()),
            rego_namespaces=tuple(arg("namespace") or ()),
            rego_combine=bool(arg("combine", False)),
            fail_on=arg("fail_on"),
            changed_only=None if changed is None else tuple(changed),
            baseline=arg("baseline"),
            verbose=bool(arg("verbose", False)),
            istio_world=not arg("no_istio", False),
            ipblock_pods=arg("ipblock_pods"),
            host_network_enforced=arg("host_network", "exempt") == "enforced",
        )


def split_rule_refs(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``--select``/``--ignore`` text (comma-separated rule ids or names), or a sequence of them."""
    items = value.split(",") if isinstance(value, str) else [x for v in value for x in str(v).split(",")]
    return tuple(x.strip() for x in items if x.strip())
