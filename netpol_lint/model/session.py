"""One run's inputs: files read, the model built over them, and the Kyma settings in force.

Every command (lint, reach, connectivity, ...) starts from a ``Session`` so that all of them
see the same input the same way.
"""
from __future__ import annotations

import gc
import os
import sys
from dataclasses import dataclass, field

from ..config import Config
from ..load.loader import Limits, SourceFile, discover
from ..load.parallel import read_files
from ..load.share import forget as forget_shared, share
from .index import Model
from .resources import packable
from .kyma import KymaSettings, settings


class InputError(Exception):
    """The tool cannot read what it was asked to (exit 2)."""


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
        files = read_paths(paths, config, excludes=excludes, stdin_text=stdin_text, jobs=jobs, limits=limits)
        return cls.from_files(files, config, default_namespace=default_namespace,
                              assume_network_policies=assume_network_policies)

    @classmethod
    def from_files(cls, files: list[SourceFile], config: Config, *, default_namespace: str | None = None,
                   assume_network_policies: str | None = None,
                   skipped: list[SourceFile] | None = None) -> "Session":
        """A session over files already read: the model is built over ``files`` in their order.
        Skipped files among them are moved to ``skipped`` (default), or ``skipped`` is given."""
        ns = default_namespace or config.default_namespace
        model = Model.build(files, ns, config.namespaces, config.platform)
        kyma = settings(model, assume_network_policies, config.network_policies, config.api_server_port)
        if skipped is None:
            skipped = [f for f in files if f.skipped]
        return cls([f for f in files if f.skipped is None], model, kyma, config, skipped)


def read_paths(paths: list[str], config: Config, *, excludes: list[str] = (), stdin_text: str | None = None,
               jobs: int | None = None, limits: Limits = Limits()) -> list[SourceFile]:
    """The files ``paths`` name (``-``: standard input, unless ``stdin_text`` is given), read
    in order, skipped ones included; InputError for a path that is missing or unreadable."""
    files_to_read, missing = discover(list(paths), list(config.exclude) + list(excludes))
    if missing:
        what = "cannot read directory" if os.path.lexists(missing[0]) else "path not found"
        raise InputError(f"{what}: {missing[0]}")
    if "-" in files_to_read and stdin_text is None:
        stdin_text = _read_stdin(limits.max_file_bytes)
    return read_all(files_to_read, stdin_text, jobs, limits)


def compact(src: SourceFile) -> None:
    """Shrink a file just read to what a run keeps (memory is the limit on large inputs; see
    docs/performance.md): its text is dropped (read again for the files that need a position
    or a comment), the documents no built-in analysis looks into are packed, and equal parts
    of the others become one object (load/share.py)."""
    src.forget_text()
    for doc in src.documents:
        if packable(doc.head):
            doc.pack()
        share(doc.head)
    if not src.problems:
        src.problems = ()        # one shared empty tuple instead of a list per file


def _read_stdin(limit: int) -> str:
    """Standard input, bounded like a file (``--max-file-size``)."""
    if sys.stdin is None or sys.stdin.closed:
        return ""
    text = sys.stdin.read(limit + 1)
    if len(text) > limit:
        raise InputError(f"standard input is over the {limit}-byte limit (--max-file-size)")
    return text


def read_all(paths: list[str], stdin_text: str | None, jobs: int | None, limits: Limits) -> list[SourceFile]:
    """Read files in order, parsing in up to ``jobs`` processes (None: one per CPU; see
    load/parallel.py, which reads small inputs in this process).

    The cyclic garbage collector is paused while reading: the loader creates millions of
    long-lived node objects and no cycles, and with the collector on, repeated scans of that
    growing heap made loading ~6x slower than libyaml's own parse (measured on the corpus).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return read_files(paths, jobs, limits, stdin_text, finish=compact)
    finally:
        forget_shared()
        if was_enabled:
            gc.enable()
