"""The language server's workspace: every manifest of the folder, parsed once, with the open
buffers' unsaved text in place of their files, and the findings of the last run per file.

The folder is loaded the way the CLI loads ``netpol-lint lint .`` from it: the same config
discovery (from the workspace root), excludes, input limits and rule set.  After that only
what changes is parsed again: an edited buffer (``set_buffer``), a file changed on disk
(``file_changed``).  Each run then rebuilds the model over the parsed files and runs the rules
-- cross-resource findings (a policy in one file isolating a Deployment in another) stay
right because the whole workspace is the input every time.  Parsing is what the CLI spends
most of its time on (0.85 of ~1.0 s on ../shared/corpus); the model and the rules over
already parsed files take ~0.15 s there (docs/performance.md, "Language server").

No LSP types here: paths are display paths (relative to the root, which is the process's
working directory while the server runs, as it is for the CLI), positions are ``Location``s.
"""
from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

from ..engine.findings import Finding
from ..load.documents import Location
from ..load.loader import (MANIFEST_SUFFIXES, InputProblem, Limits, SourceFile, display_path, parse_json,
                           parse_text)
from ..load.reader import read, read_all
from ..model.resources import packable
from ..model.session import PATCH_SKIPPED, Session
from ..options import Options


def _input_problem(path: str, message: str) -> SourceFile:
    src = SourceFile(path)
    src.problems.append(InputProblem("unreadable", message, Location.whole_file(path)))
    return src


@dataclass
class RunResult:
    """What one run changed: the files whose findings differ from the previous run's."""

    changed: list[str]
    seconds: float = 0.0
    rule_errors: list[str] = field(default_factory=list)


class Workspace:
    """Parsed files, open buffers and the findings over them."""

    def __init__(self, root: str, options: Options = Options()):
        self.root = os.path.realpath(root)
        self.options = options
        self.config = None
        self.registry = None
        self.rules: list = []
        self.limits = Limits()
        self.excludes: list[str] = []
        self._inputs: list[str] = [self.root]
        self.files: dict[str, SourceFile] = {}      # display path -> parsed file (buffer or disk)
        self.buffers: dict[str, int | None] = {}     # open buffers: display path -> version
        self.findings: dict[str, list[Finding]] = {}
        self._signatures: dict[str, tuple] = {}
        self._resources: dict[int, tuple] = {}       # the previous model's, per file (Model.build's reuse)
        self.session: Session | None = None
        self.result = None
        self.generation = 0                          # runs so far (hover caches are per run)
        self.dirty = True
        self.edited: set[str] = set()               # buffers changed since the last run
        self.pending: dict[str, str] = {}            # their texts, parsed at the next run

    # -- loading ----------------------------------------------------------------------
    def load(self, meanwhile=None) -> RunResult:
        """Read the whole folder (like ``netpol-lint lint .`` run from the root) and lint it.

        Config, rules and input limits come from the library (``api.load_config_and_rules``,
        ``Options.from_args``), as for every command.  Raises what the CLI exits 2 for
        (``NetpolLintError``: a bad config, an unknown rule, an unreadable path).
        ``meanwhile`` is called once while the parse workers work (``read``).
        """
        from .. import api
        from ..engine.linter import selected_rules

        os.chdir(self.root)             # display paths and config discovery are relative to it
        options = self.options
        self.config, self.registry = api.load_config_and_rules(options)
        api.check_rule_refs(self.registry, options.select + options.ignore)
        self.limits = options.limits
        self.excludes = self.config.anchored_excludes + list(options.exclude)   # as Session.load
        self.rules = selected_rules(self.registry, self.config, options.select, options.ignore)
        self._inputs = [os.path.abspath(p) for p in options.paths]
        files = read(list(options.paths), self.limits, options.jobs, excludes=self.excludes, packable=packable,
                     meanwhile=meanwhile)
        self.files = {f.path: f for f in files}
        self.dirty = True
        return self.lint()

    def reload(self) -> RunResult:
        """Everything again (the config changed): the open buffers keep their text."""
        buffers = {p: (self.pending[p] if p in self.pending else self.files[p].text, v)
                   for p, v in self.buffers.items() if p in self.files or p in self.pending}
        self._resources, self.buffers, self.pending = {}, {}, {}
        self.load()
        for path, (text, version) in buffers.items():
            if text is not None:
                self.set_buffer(path, text, version)
        return self.lint()

    def is_config(self, path: str) -> bool:
        """A file whose change changes the config in force (any config file of the tree:
        discovery may pick one that did not exist before)."""
        from ..config import CONFIG_NAMES
        name = path.rsplit("/", 1)[-1]
        return name in CONFIG_NAMES or name == "pyproject.toml"

    def display(self, abs_path: str) -> str:
        return display_path(abs_path, self.root)

    def absolute(self, path: str) -> str:
        return path if os.path.isabs(path) else os.path.normpath(os.path.join(self.root, path))  # "../x" too

    def in_workspace(self, path: str) -> bool:
        """Whether the CLI run from the root would lint ``path`` (a display path): a manifest
        suffix, under an input path, outside hidden directories, not excluded."""
        if os.path.isabs(path) or path.startswith("../") or not path.lower().endswith(MANIFEST_SUFFIXES):
            return False
        parts = path.split("/")
        if any(p.startswith(".") and p not in (".", "..") for p in parts[:-1]):
            return False
        full = os.path.join(self.root, path)
        if not any(full == i or full.startswith(i.rstrip(os.sep) + os.sep) or i == self.root for i in self._inputs):
            return False
        name, anchored = os.path.basename(path), full.replace(os.sep, "/")
        for g in self.excludes:           # as load.loader.discover matches them
            if os.path.isabs(g):          # a config file's glob, anchored at its directory
                if fnmatch(anchored, g) or fnmatch(anchored, g.rstrip("/") + "/*"):
                    return False
            elif fnmatch(path, g) or fnmatch(path, g.rstrip("/") + "/*") or fnmatch(name, g):
                return False
        return True

    # -- changes ----------------------------------------------------------------------
    def set_buffer(self, path: str, text: str, version: int | None = None) -> None:
        """An open buffer's unsaved text replaces the file (parsed and linted at the next run:
        a burst of keystrokes is parsed once)."""
        self.buffers[path] = version
        self.pending[path] = text
        self.edited.add(path)
        self.dirty = True

    def close_buffer(self, path: str) -> None:
        """The buffer is closed: the file on disk is the input again (or nothing, if it is gone)."""
        self.buffers.pop(path, None)
        self.pending.pop(path, None)
        self.file_changed(path)

    def file_changed(self, path: str) -> None:
        """A file was created, changed or deleted on disk (open buffers keep their text)."""
        if path in self.buffers:
            return
        full = self.absolute(path)
        if not os.path.isfile(full):
            if self.files.pop(path, None) is not None:
                self.dirty = True
            return
        if not self.in_workspace(path):
            return
        src = read_all([path], None, 1, self.limits, packable)[0]
        self.files[src.path] = src
        self.dirty = True

    def parse(self, path: str, text: str) -> SourceFile:
        """``text`` parsed as the file ``path`` (what ``read_file`` does with the bytes)."""
        if len(text) * 4 > self.limits.max_file_bytes and len(text.encode("utf-8")) > self.limits.max_file_bytes:
            return _input_problem(path, f"file is over the {self.limits.max_file_bytes}-byte limit "
                                        f"(--max-file-size); not read")
        src = SourceFile(path)
        if path.lower().endswith(".json"):
            return parse_json(src, text, self.limits)
        return parse_text(src, text, self.limits)

    # -- running ----------------------------------------------------------------------
    def lint(self) -> RunResult:
        """Rebuild the model over the parsed files, run the rules, and say which files' findings
        changed (files without findings any more included)."""
        import time
        from ..engine import pipeline

        start = time.perf_counter()
        for path, text in self.pending.items():
            self.files[path] = self.parse(path, text)
        self.pending = {}
        files = [self.files[p] for p in sorted(self.files)]
        # the previous run's model, findings and analyses go first (only their signatures are
        # compared): two runs' worth of objects at once would raise the server's peak memory
        self.session = self.result = None
        self.findings = {}
        was_enabled = gc.isenabled()
        gc.disable()                # like the CLI (cli.main): a run builds no cycles
        try:
            session = self._session(files)
            result = pipeline.run(session, self.registry, self.rules, verbose=self.options.verbose)
        finally:
            if was_enabled:
                gc.enable()
        by_file: dict[str, list[Finding]] = {}
        for f in result.findings:
            by_file.setdefault(f.location.file, []).append(f)
        signatures = {path: tuple(_signature(f) for f in fs) for path, fs in by_file.items()}
        # the edited buffers always (the client learns their new version was linted), and
        # every other file whose findings differ, those without findings now included
        changed = sorted(p for p in set(signatures) | set(self._signatures) | (self.edited & set(self.files))
                         if signatures.get(p) != self._signatures.get(p) or p in self.edited)
        self.edited = set()
        self.session, self.result, self.findings, self._signatures = session, result, by_file, signatures
        self.generation += 1
        self.dirty = False
        return RunResult(changed, time.perf_counter() - start, list(result.rule_errors))

    def _session(self, files: list[SourceFile]) -> Session:
        """``Session.from_files`` as the CLI builds it (units, kustomizations, platform,
        expectations), reusing the resources of files parsed before (``Model.build``'s
        ``reuse``).  A kustomization patch is skipped for the run that finds it one: the mark
        is cleared first, since the kustomization may have changed since."""
        for f in files:
            if f.skipped == PATCH_SKIPPED:
                f.skipped = None
        return Session.from_files(files, self.config, default_namespace=self.options.default_namespace,
                                  assume_network_policies=self.options.assume_network_policies,
                                  limits=self.limits, reuse=self._resources)

    @property
    def context(self):
        """The last run's ``LintContext``: the model, and the network and routes the rules
        built (hover and navigation answer from the same analyses as the diagnostics)."""
        return self.result.context

    def rule(self, rule_id: str):
        return self.registry.rules.get(rule_id) if self.registry is not None else None


def _signature(f: Finding) -> tuple:
    return (f.location, f.rule, f.severity, f.message, tuple(f.related), f.fix)
