"""Quality of life: ``--statistics``, ``--quiet``, colour only on a TTY, progress on stderr.

TTY behaviour is tested with real pseudo-terminals (``os.openpty``), not mocks: the CLI runs
as a subprocess whose stdout and/or stderr is a terminal, exactly as in an interactive shell.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import run_cli

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
  labels:
    networking.kyma-project.io/from-ingressgateway: allowed
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
        networking.kyma-project.io/from-ingressgateway: "{value}"
    spec:
      containers:
        - name: {name}
          image: ghcr.io/example/{name}:1.0.0
"""
SELECT = ("--select", "NPL102,NPL103")


@pytest.fixture
def repo(tmp_path) -> Path:
    """Three workloads with a bad label value (NPL103); two of them also miss NPL102's copy."""
    for name, value in (("cart", "true"), ("search", "yes"), ("checkout", "Allowed")):
        text = DEPLOYMENT.format(name=name, value=value)
        if name != "checkout":   # the controller label without a template label: NPL102
            text = text.replace(f'        networking.kyma-project.io/from-ingressgateway: "{value}"\n',
                                "        networking.kyma-project.io/metrics-scraping: \"" + value + "\"\n")
        (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


# -- --statistics / --quiet ------------------------------------------------------------------
def test_statistics_counts_per_rule_most_frequent_first(repo):
    proc = run_cli(*SELECT, "--statistics", cwd=repo)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["3\tNPL103\t[*] invalid-networking-label-value",
                         "2\tNPL102\t[*] label-not-on-pod-template"]
    assert "Found 5 findings (5 errors, 0 warnings, 0 info) in 3 files, 3 resources." in lines
    assert not any(re.match(r"^\S+\.yaml:\d+:\d+:", ln) for ln in lines), "statistics must not list findings"


def test_statistics_quiet_prints_only_the_counts(repo):
    proc = run_cli(*SELECT, "--statistics", "--quiet", cwd=repo)
    assert proc.stdout.splitlines() == ["3\tNPL103\t[*] invalid-networking-label-value",
                                        "2\tNPL102\t[*] label-not-on-pod-template"]
    assert proc.returncode == 1


def test_quiet_prints_findings_only(repo):
    proc = run_cli(*SELECT, "--quiet", cwd=repo)
    assert proc.returncode == 1 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 5 and all(re.match(r"^\S+\.yaml:\d+:\d+: NPL10[23] \[error\]", ln) for ln in lines)


def test_quiet_clean_run_prints_nothing(repo):
    proc = run_cli("--select", "NPL004", "--quiet", cwd=repo)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


# -- colour ----------------------------------------------------------------------------------
def _drain(fd: int, sink: list) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:          # EIO: the terminal's other side closed
            break
        if not chunk:
            break
        sink.append(chunk)


def run_on_tty(*args: str, cwd, stdout_tty: bool = True, stderr_tty: bool = False, env: dict | None = None):
    """Run the CLI with stdout and/or stderr attached to pseudo-terminals; returns (rc, out, err)."""
    full_env = dict(os.environ, TERM="xterm")
    full_env.pop("NO_COLOR", None)
    full_env.pop("NETPOL_LINT_PROGRESS_AFTER", None)
    full_env.update(env or {})
    masters, readers, sinks, kwargs = [], [], {}, {}
    for name, wanted in (("stdout", stdout_tty), ("stderr", stderr_tty)):
        if wanted:
            master, slave = os.openpty()
            masters.append((master, slave))
            kwargs[name] = slave
            sinks[name] = []
            readers.append(threading.Thread(target=_drain, args=(master, sinks[name]), daemon=True))
        else:
            kwargs[name] = subprocess.PIPE
    proc = subprocess.Popen([sys.executable, "-m", "netpol_lint", *args], cwd=cwd, env=full_env,
                            stdin=subprocess.DEVNULL, **kwargs)
    for _, slave in masters:
        os.close(slave)
    for t in readers:
        t.start()
    piped_out, piped_err = proc.communicate(timeout=300)
    for t in readers:
        t.join(timeout=30)
    for master, _ in masters:
        os.close(master)
    out = b"".join(sinks["stdout"]).decode() if stdout_tty else piped_out.decode()
    err = b"".join(sinks["stderr"]).decode() if stderr_tty else piped_err.decode()
    return proc.returncode, out.replace("\r\n", "\n"), err


def test_no_colour_when_stdout_is_a_pipe(repo):
    proc = run_cli(*SELECT, cwd=repo)
    assert not ANSI.search(proc.stdout)


def test_colour_on_a_terminal(repo):
    code, out, _ = run_on_tty(*SELECT, cwd=repo)
    assert code == 1
    assert "\x1b[31m[error]\x1b[0m" in out
    # exactly one line per finding, coloured or not (CONTRACT.md): no per-file header lines
    plain = ANSI.sub("", out).splitlines()
    findings = [ln for ln in plain if re.match(r"^\S+\.yaml:\d+:\d+: NPL10[23] \[error\]", ln)]
    assert len(findings) == 5
    assert plain[:6] == findings + [""]
    assert plain == run_cli(*SELECT, cwd=repo).stdout.splitlines()  # the same lines as on a pipe


def test_no_colour_on_a_terminal_with_no_color(repo):
    code, out, _ = run_on_tty(*SELECT, cwd=repo, env={"NO_COLOR": "1"})
    assert code == 1 and not ANSI.search(out)


def test_color_always_and_never_override_detection(repo):
    assert ANSI.search(run_cli(*SELECT, "--color", "always", cwd=repo).stdout)
    _, out, _ = run_on_tty(*SELECT, "--color", "never", cwd=repo)
    assert not ANSI.search(out)


def test_machine_formats_never_carry_colour_on_a_terminal(repo):
    for fmt in ("json", "github", "junit", "sarif"):
        _, out, _ = run_on_tty(*SELECT, "--format", fmt, cwd=repo)
        assert not ANSI.search(out), fmt


# -- progress --------------------------------------------------------------------------------
def test_progress_is_drawn_on_a_terminal_stderr_and_erased(repo):
    code, out, err = run_on_tty(*SELECT, "--format", "json", cwd=repo, stdout_tty=False, stderr_tty=True,
                                env={"NETPOL_LINT_PROGRESS_AFTER": "0"})
    assert code == 1
    assert "netpol-lint: " in err and "\x1b[K" in err
    stages = set(re.findall(r"netpol-lint: ([a-z0-9 ]+?) \(\d+\.\d s\)", err))
    assert stages and stages <= {"starting", "reading files", "checking 2 rules on 3 resources"}, stages
    assert err.endswith("\r\x1b[K"), "the progress line must be erased at the end"
    assert out.startswith("{") and '"findings"' in out     # stdout untouched


def test_short_runs_print_no_progress(repo):
    # default threshold: about a second; this run is far shorter
    code, _, err = run_on_tty(*SELECT, cwd=repo, stdout_tty=False, stderr_tty=True)
    assert code == 1 and err == ""


def test_no_progress_when_stderr_is_not_a_terminal_or_quiet(repo):
    _, _, err = run_on_tty(*SELECT, cwd=repo, stdout_tty=True, stderr_tty=False,
                           env={"NETPOL_LINT_PROGRESS_AFTER": "0"})
    assert err == ""
    _, _, err = run_on_tty(*SELECT, "--quiet", cwd=repo, stdout_tty=False, stderr_tty=True,
                           env={"NETPOL_LINT_PROGRESS_AFTER": "0"})
    assert err == ""


def test_progress_module_draws_after_the_delay_only():
    import io
    import time

    from netpol_lint.commands.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    with Progress(True, stream, delay=0.05) as p:
        p.stage("reading files")
        time.sleep(0.3)
    text = stream.getvalue()
    assert "netpol-lint: reading files (" in text and text.endswith("\r\x1b[K")
    quick = Tty()
    with Progress(True, quick, delay=5):
        pass
    assert quick.getvalue() == ""


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit"])
def test_statistics_with_a_machine_format_is_a_usage_error(repo, fmt):
    proc = run_cli(*SELECT, "--statistics", "--format", fmt, cwd=repo)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", (
        f"netpol-lint: error: --statistics prints counts per rule as text and cannot be combined with "
        f"--format {fmt} (the report's summary holds the counts) (see 'netpol-lint lint --help')\n"))
