"""One run's inputs: files read, the model built over them, and the Kyma settings in force.

Every command (lint, reach, connectivity, ...) starts from a ``Session`` so that all of them
see the same input the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Config
from ..load.loader import Limits, SourceFile
from ..load.reader import read
from .index import Model
from .resources import packable
from .kyma import KymaSettings, settings


@dataclass
class Session:
    files: list[SourceFile]
    model: Model
    kyma: KymaSettings
    config: Config
    skipped: list[SourceFile] = field(default_factory=list)

    @classmethod
    def load(cls, paths: list[str], config: Config | None = None, *, default_namespace: str | None = None,
             excludes: list[str] = (), assume_network_policies: str | None = None,
             stdin_text: str | None = None, jobs: int | None = None, limits: Limits = Limits()) -> "Session":
        config = config or Config()
        files = read(paths, limits, jobs, excludes=list(config.exclude) + list(excludes), stdin_text=stdin_text,
                     packable=packable)
        return cls.from_files(files, config, default_namespace=default_namespace,
                              assume_network_policies=assume_network_policies)

    @classmethod
    def from_files(cls, files: list[SourceFile], config: Config, *, default_namespace: str | None = None,
                   assume_network_policies: str | None = None,
                   skipped: list[SourceFile] | None = None) -> "Session":
        """A session over files already read: the model is built over ``files`` in their order.
        Skipped files among them are moved to ``skipped`` (default), or ``skipped`` is given."""
        ns = default_namespace or config.default_namespace
        model = Model.build(files, ns, config.namespaces)
        kyma = settings(model, assume_network_policies, config.network_policies, config.api_server_port)
        if skipped is None:
            skipped = [f for f in files if f.skipped]
        return cls([f for f in files if f.skipped is None], model, kyma, config, skipped)
