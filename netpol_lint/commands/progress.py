"""A one-line progress indicator on stderr, for interactive runs that take a while.

Shown only when stderr is a terminal (never in CI logs, pipes or pre-commit, which captures
output), not with ``--quiet``, and only once a run has lasted ``NETPOL_LINT_PROGRESS_AFTER``
seconds (default 1): quick runs print nothing extra.  The line is redrawn in place
(``\\r`` + erase-line) from a daemon thread and erased when the run ends, so the report that
follows on stdout is untouched.
"""
from __future__ import annotations

import os
import sys
import threading
import time

DEFAULT_DELAY = 1.0
INTERVAL = 0.1
_ERASE = "\r\033[K"


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get("NETPOL_LINT_PROGRESS_AFTER", DEFAULT_DELAY)))
    except ValueError:
        return DEFAULT_DELAY


class Progress:
    """``with Progress(enabled) as p: p.stage("reading files") ...``"""

    def __init__(self, enabled: bool, stream=None, delay: float | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.delay = _delay() if delay is None else delay
        self._stage = "starting"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False
        self._start = time.monotonic()

    @classmethod
    def for_terminal(cls, quiet: bool, stream=None) -> "Progress":
        stream = stream if stream is not None else sys.stderr
        tty = hasattr(stream, "isatty") and stream.isatty()
        return cls(tty and not quiet and os.environ.get("TERM") != "dumb", stream)

    def stage(self, text: str) -> None:
        self._stage = text

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            elapsed = time.monotonic() - self._start
            try:
                self.stream.write(f"{_ERASE}netpol-lint: {self._stage} ({elapsed:.1f} s)")
                self.stream.flush()
                self._drawn = True
            except (OSError, ValueError):
                return
            self._stop.wait(INTERVAL)

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._start = time.monotonic()
            self._thread = threading.Thread(target=self._run, name="netpol-lint-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._drawn:
                try:
                    self.stream.write(_ERASE)
                    self.stream.flush()
                except (OSError, ValueError):
                    pass
