"""Shared test helpers: run the linter in-process or as the real console script."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("NETPOL_LINT_SHARED") or ROOT.parent / "shared")   # override: git worktrees elsewhere


# ``run_cli`` runs the CLI in this process (``cli.main`` with its own stdin/stdout/stderr,
# working directory and environment): a fresh interpreter per call was most of the suite's
# time.  NETPOL_LINT_TEST_CLI=subprocess makes every ``run_cli`` start the real
# ``python -m netpol_lint`` again, as CI does (scripts/test.sh); tests of the entry point
# itself (exit status, one-line errors, flushing) call ``run_cli_subprocess`` always.
CLI_IN_SUBPROCESS = os.environ.get("NETPOL_LINT_TEST_CLI", "") == "subprocess"


def run_cli(*args: str, cwd: str | os.PathLike | None = None, stdin: str | None = None,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI with ``args``: exit code, stdout and stderr as a ``CompletedProcess``."""
    if CLI_IN_SUBPROCESS:
        return run_cli_subprocess(*args, cwd=cwd, stdin=stdin, env=env)
    return run_cli_in_process(*args, cwd=cwd, stdin=stdin, env=env)


def run_cli_subprocess(*args: str, cwd: str | os.PathLike | None = None, stdin: str | None = None,
                       env: dict | None = None) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess (``python -m netpol_lint``), as users and CI run it."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "netpol_lint", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env=full_env, timeout=300)


def run_cli_in_process(*args: str, cwd: str | os.PathLike | None = None, stdin: str | None = None,
                       env: dict | None = None) -> subprocess.CompletedProcess:
    """``cli.main(args)`` here, seen as ``run_cli_subprocess`` sees the real CLI: UTF-8 byte
    streams that are not terminals (stdin empty unless given), text decoded with universal
    newlines, ``SystemExit`` turned into the exit code, cwd and ``os.environ`` restored after."""
    import io

    from netpol_lint.cli import main

    def stream(data: bytes = b"", errors: str = "strict") -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors=errors, write_through=True)

    def text(s: io.TextIOWrapper) -> str:
        s.flush()
        return s.buffer.getvalue().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")

    out, err = stream(), stream(errors="backslashreplace")
    saved = (sys.stdin, sys.stdout, sys.stderr, os.getcwd(), dict(os.environ))
    try:
        os.environ.pop("NO_COLOR", None)
        os.environ.setdefault("COLUMNS", "80")    # what a child whose stdout is a pipe falls back to
        os.environ.update(env or {})
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = stream((stdin or "").encode("utf-8")), out, err
        try:
            code = main(list(args))
        except SystemExit as exc:          # argparse's --help, as the interpreter would exit
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        os.chdir(saved[3])
        os.environ.clear()
        os.environ.update(saved[4])
    return subprocess.CompletedProcess([sys.executable, "-m", "netpol_lint", *args], code, text(out), text(err))


def lint_json(*args: str, cwd=None, stdin=None) -> tuple[int, dict]:
    """Lint in-process and return (exit code, parsed JSON report)."""
    import contextlib
    import io

    from netpol_lint.cli import main

    buf, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
            if stdin is not None:
                old_stdin = sys.stdin
                sys.stdin = io.StringIO(stdin)
            try:
                code = main(["lint", *args, "--format", "json"])
            finally:
                if stdin is not None:
                    sys.stdin = old_stdin
    finally:
        os.chdir(old)
    assert not err.getvalue() or code != 0 or "note" in err.getvalue(), err.getvalue()
    return code, json.loads(buf.getvalue())


def lint_text(text: str, select: str | None = None, *args: str,
              name: str = "manifest.yaml") -> list[tuple[int, int, str, str]]:
    """Lint YAML text in process, as a file ``name``: ``[(line, column, rule, message)]``
    in report order.  ``select`` is ``--select`` (ids or names, comma-separated)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, name).write_text(text, encoding="utf-8")
        extra = ["--select", select] if select else []
        _, report = lint_json(name, *extra, *args, cwd=tmp)
    return [(f["line"], f["column"], f["rule"], f["message"]) for f in report["findings"]]


def finding_lines(report: dict) -> list[str]:
    """``file:line:col RULE Kind ns/name`` per finding: the exact-findings format of fixtures."""
    out = []
    for f in report["findings"]:
        r = f.get("resource") or {}
        ident = f"{r.get('kind')} {r.get('namespace') + '/' if r.get('namespace') else ''}{r.get('name')}" if r else "-"
        out.append(f"{f['file']}:{f['line']}:{f['column']} {f['rule']} {ident}")
    return out


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not next to the checkout")
    return SHARED
