"""``--changed-only``: whole-repository context, findings only for the files that changed.

pre-commit passes just the staged files, but most rules are cross-resource: whether a
Deployment's pods are blocked depends on NetworkPolicies, Services and APIRules in other
files.  Linting only the passed files (kube-linter's behaviour) gives wrong answers, so here
the *context* is the repository (the PATHs, default ``.``, plus every changed file) and only
the *report* is narrowed.

A finding is reported when its own location **or one of its related locations** lies in a
changed file: a NetworkPolicy edit that cuts off a workload in another file is reported on
that workload, with the policy as the related location, so the change that caused it is
caught.  When the config file in use, a rule directory or a Rego policy directory is among
the changed files, every finding is reported (any finding may have changed).

Forms (both are what CONTRACT.md calls ``--changed-only FILE...``)::

    netpol-lint --changed-only a.yaml b.yaml          # context: . ; report: a.yaml, b.yaml
    netpol-lint --changed-only --format github a.yaml # same: the PATHs are the changed files
    netpol-lint apps/ --changed-only apps/web.yaml    # context: apps/ (+ the changed files)

With ``--kustomize`` the PATHs (kustomization directories) are the whole context: a changed
base file is seen through the overlays that render it, and findings mapped back to it (see
``origins.py``) are the ones reported.

The second form is what the pre-commit hook runs: pre-commit appends the file names after the
hook's own arguments, so they arrive as PATHs.  Changed files that no longer exist (a
deletion in ``git diff --name-only``) are ignored; a directory stands for every file in it.
Invocations are independent, so pre-commit splitting a long file list into several runs gives
no duplicates.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..config import CONFIG_NAMES, Config
from ..load.loader import display_path
from ..options import Options
from .findings import Finding


@dataclass
class ChangedScope:
    files: frozenset[str]            # display paths of changed files
    dirs: tuple[str, ...]            # display paths of changed directories (prefix match)
    everything: bool = False         # a config/rule/policy file changed: report all

    def covers(self, path: str) -> bool:
        if self.everything or path in self.files:
            return True
        return any(d in ("", ".") or path.startswith(d.rstrip("/") + "/") for d in self.dirs)

    def keeps(self, finding: Finding) -> bool:
        return self.covers(finding.location.file) or any(self.covers(r.location.file) for r in finding.related)


def prepare(options: Options, config: Config) -> tuple[ChangedScope | None, tuple[str, ...]]:
    """The scope of ``options.changed_only`` (None: mode off) and the paths to load as context."""
    changed_only = options.changed_only
    if changed_only is None:
        return None, options.paths
    if changed_only:
        changed = list(changed_only)
        context = list(options.paths) or ["."]
    else:
        changed = list(options.paths)
        context = ["."]
    existing = [c for c in changed if c != "-" and os.path.exists(c)]
    context_abs = [os.path.abspath(p) for p in context if p != "-"]
    # with --kustomize the kustomizations are the context; a changed base file is rendered through them
    if not options.kustomize:
        for c in existing:
            full = os.path.abspath(c)
            if not any(full == root or full.startswith(root.rstrip(os.sep) + os.sep) for root in context_abs):
                context.append(c)
    files = frozenset(display_path(c) for c in existing if not os.path.isdir(c))
    dirs = tuple(display_path(c) for c in existing if os.path.isdir(c))
    return ChangedScope(files, dirs, _widens(existing, options, config)), tuple(context)


def _widens(changed: list[str], options: Options, config: Config) -> bool:
    """True when a changed file alters how everything is linted (config, rules, policies)."""
    special_files = set()
    if config.path:
        special_files.add(os.path.abspath(config.path))
    roots = [os.path.abspath(d) for d in list(options.rule_dirs) + list(options.policy_dirs)]
    roots += [os.path.join(config.base_dir, d) for d in config.rules]
    for c in changed:
        full = os.path.abspath(c)
        if full in special_files or os.path.basename(full) in CONFIG_NAMES:
            return True
        if any(full == r or full.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            return True
    return False

