"""One run's inputs: files read, the model built over them, and the Kyma settings in force.

Every command (lint, reach, connectivity, ...) starts from a ``Session`` so that all of them
see the same input the same way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..config import Config
from ..load.loader import Limits, SourceFile
from ..load.reader import read
from .index import Model
from .resources import packable
from .kyma import KymaSettings, settings
from .expectations import ExpectationSet, load_expectations
from .units import Placement


PATCH_SKIPPED = "a kustomization uses it as a patch: not a resource of its own"


@dataclass
class Session:
    files: list[SourceFile]
    model: Model
    kyma: KymaSettings
    config: Config
    skipped: list[SourceFile] = field(default_factory=list)
    expectations: ExpectationSet | None = None      # connectivity expectations (NPL601/NPL602)

    @classmethod
    def load(cls, paths: list[str], config: Config | None = None, *, default_namespace: str | None = None,
             excludes: list[str] = (), assume_network_policies: str | None = None,
             stdin_text: str | None = None, jobs: int | None = None, limits: Limits = Limits()) -> "Session":
        config = config or Config()
        files = read(paths, limits, jobs, excludes=config.anchored_excludes + list(excludes), stdin_text=stdin_text,
                     packable=packable)
        return cls.from_files(files, config, default_namespace=default_namespace,
                              assume_network_policies=assume_network_policies, limits=limits)

    @classmethod
    def from_files(cls, files: list[SourceFile], config: Config, *, default_namespace: str | None = None,
                   assume_network_policies: str | None = None,
                   skipped: list[SourceFile] | None = None, limits: Limits = Limits(),
                   reuse: dict | None = None) -> "Session":
        """A session over files already read: the model is built over ``files`` in their order.
        Skipped files among them are moved to ``skipped`` (default), or ``skipped`` is given.
        The connectivity expectations the config leads to are read too (``ExpectationsError``,
        a ``ConfigError``, when that file is invalid).  ``reuse``: see ``Model.build``."""
        expectations = load_expectations(config, limits)
        ns = default_namespace or config.default_namespace
        placement = Placement.build(files, config)
        for f in files:
            if f.path in placement.patches and f.skipped is None:
                # a kustomization's patch is a change to another object, not an object
                f.skipped = PATCH_SKIPPED
        model = Model.build(files, ns, config.namespaces, placement, config.platform, reuse=reuse)
        kyma = settings(model, assume_network_policies, config.network_policies, config.api_server_port)
        if skipped is None:
            skipped = [f for f in files if f.skipped]
        return cls([f for f in files if f.skipped is None], model, kyma, config, skipped, expectations)



def paths_without_manifests(paths: list[str], session: "Session") -> list[str]:
    """The given PATHs from which nothing was read as Kubernetes input: no resource and no
    NPL001/NPL002 problem in any file under them (a mistyped CI path must not pass).  Paths
    are compared as the files were read (absolute), not as findings show them."""
    not_kubernetes: dict[str, int] = {}
    for path, _, _ in session.model.skipped_documents:
        not_kubernetes[path] = not_kubernetes.get(path, 0) + 1
    # a file counts when it holds a Kubernetes object (an empty List too) or a problem
    read = {f.path for f in session.files if f.problems or len(f.documents) > not_kubernetes.get(f.path, 0)}
    stdin = "-" in read
    absolute = {os.path.abspath(f) for f in read if f != "-"}
    skipped = {os.path.abspath(f.path) for f in session.skipped}      # already named, with the reason
    out = []
    for p in paths:
        if p == "-":
            if not stdin:
                out.append("standard input")
            continue
        a = os.path.abspath(p)
        if a in skipped:
            continue
        prefix = a.rstrip(os.sep) + os.sep
        if a not in absolute and not any(f.startswith(prefix) for f in absolute):
            out.append(p)
    return out
