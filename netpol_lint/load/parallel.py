"""Parallel parsing (``--jobs``): files are read and parsed in worker processes and here.

Parsing is the one part of a run that is both the largest (about as long as libyaml's own
``compose_all`` over the input) and trivially parallel: files do not depend on each other.
With ``--jobs N`` this process and N-1 forked workers parse batches of files.  Workers return
whole ``SourceFile`` objects, compacted by ``finish`` first (``reader.compact``: no text,
packed documents); what crosses the pipe is plain data (dicts, lists, strings, bytes) and
the loader's problems, which pickle and unpickle in a small fraction of the time parsing
takes (no node trees: positions are noted while parsing or found later, in this process).  Results are put back in input order, so the output is the same bytes whatever
``--jobs`` is.

Processes are forked (cheap, nothing to re-import); where ``fork`` does not exist, and for
inputs too small to pay for the workers, files are read in the calling process.  If a
worker dies or fails, the files it did not deliver are read in the calling process: a
broken worker costs time, never a result.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from typing import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from .loader import Limits, SourceFile, read_file

# Below this many bytes in all, starting workers costs more than it saves (measured: a
# 2-worker pool starts in ~20-40 ms; libyaml parses ~25 MB/s of manifests in Python).
MIN_PARALLEL_BYTES = 2 << 20
# Batches of about this many bytes go to one worker at a time; more batches balance a
# few huge files better, fewer cost less per task.
_BATCHES_PER_WORKER = 16
_MIN_BATCH_BYTES = 256 << 10


def default_jobs() -> int:
    """The CPUs this process may run on (``--jobs`` default, CONTRACT.md)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def read_files(paths: list[str], jobs: int | None, limits: Limits, stdin_text: str | None = None,
               finish: Callable[[SourceFile], None] | None = None,
               meanwhile: Callable[[], None] | None = None) -> list[SourceFile]:
    """``read_file`` over ``paths`` in order, in up to ``jobs`` processes (this one included).

    ``finish`` (a module-level function, so that workers can be given it) is applied to every
    file where it was read: in a worker, before the file is sent back.  ``meanwhile`` is
    called once in this process: once the workers are forked and busy, before this process
    parses its own share (the language server imports its LSP libraries there), or first
    when no workers are started.  It runs in this thread, so no fork ever happens while it
    runs.
    """
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    plan = _plan(paths, jobs) if jobs > 1 and "fork" in multiprocessing.get_all_start_methods() else None
    once = [meanwhile] if meanwhile is not None else []
    if plan is None:
        while once:
            once.pop()()
        return [_read(p, limits, finish, stdin_text) for p in paths]
    results: list[SourceFile | None] = [None] * len(paths)
    try:
        _run(paths, plan, min(jobs - 1, len(plan) - 1), limits, finish, results, once)
    except Exception:  # BrokenProcessPool, OSError from fork, a failure inside a worker ...
        pass           # ... cost time only: whatever was not delivered is read below
    while once:        # the pool could not start
        once.pop()()
    return [src if src is not None else _read(p, limits, finish, stdin_text)
            for p, src in zip(paths, results)]


def _read(path: str, limits: Limits, finish, stdin_text: str | None = None) -> SourceFile:
    src = read_file(path, limits=limits, stdin_text=stdin_text)
    if finish is not None:
        finish(src)
    return src


def _run(paths: list[str], plan: list[list[int]], workers: int, limits: Limits, finish, results: list,
         meanwhile: list | None = None) -> None:
    """Parse ``plan``'s batches in ``workers`` processes and in this one.

    This process parses too (what it parses needs no pickling), taking the smallest batches
    left while the workers get the largest first, so all finish at about the same time.
    Workers are kept at most two batches ahead, so this process never runs out of work while
    they still have a queue.
    """
    pending = deque(plan)                 # largest first (see _plan)
    running: dict = {}

    def deliver(future) -> None:
        for i, src in zip(running.pop(future), future.result()):
            results[i] = src

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        def top_up() -> None:
            while pending and len(running) < 2 * workers:
                batch = pending.popleft()
                running[pool.submit(_read_batch, [paths[i] for i in batch], limits, finish)] = batch

        top_up()
        if meanwhile:
            # The workers are given every batch while this process is busy elsewhere; those
            # they have not started when it is done come back (a queued task can be cancelled).
            while pending:
                batch = pending.popleft()
                running[pool.submit(_read_batch, [paths[i] for i in batch], limits, finish)] = batch
            meanwhile.pop()()
            queued = [f for f in running if not f.done()][2 * workers:]
            for future in queued:                   # submission order: largest first
                if future.cancel():
                    pending.append(running.pop(future))
        while pending:
            batch = pending.pop()
            for i, src in zip(batch, _read_batch([paths[i] for i in batch], limits, finish)):
                results[i] = src
            for future in [f for f in running if f.done()]:
                deliver(future)
            top_up()
        for future in as_completed(list(running)):
            deliver(future)


def _plan(paths: list[str], jobs: int) -> list[list[int]] | None:
    """Index batches of regular files for the workers, or None when not worth it.

    Stdin and paths the loader skips are left out (read in the calling process); batches
    hold consecutive files of about equal bytes and come largest first.
    """
    sizes: list[tuple[int, int]] = []
    total = 0
    for i, p in enumerate(paths):
        if p == "-" or type(p) is not str:   # stdin, SkippedPath
            continue
        try:
            size = os.path.getsize(p)
        except OSError:
            continue
        sizes.append((i, size))
        total += size
    if total < MIN_PARALLEL_BYTES or len(sizes) < 2:
        return None
    target = max(_MIN_BATCH_BYTES, total // (jobs * _BATCHES_PER_WORKER))
    plan: list[tuple[int, list[int]]] = []
    batch: list[int] = []
    acc = 0
    for i, size in sizes:
        batch.append(i)
        acc += size
        if acc >= target:
            plan.append((acc, batch))
            batch, acc = [], 0
    if batch:
        plan.append((acc, batch))
    plan.sort(key=lambda b: -b[0])        # largest first: the classic balance for unequal tasks
    return [b for _, b in plan] if len(plan) > 1 else None


def _read_batch(paths: list[str], limits: Limits, finish=None) -> list[SourceFile]:
    """In a worker: read and parse ``paths`` (never raises for bad input, like ``read_file``)."""
    return [_read(p, limits, finish) for p in paths]
