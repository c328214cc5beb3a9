"""Issue 16 item 7: every transcript in README.md and docs/ is what the command prints."""
from __future__ import annotations

import importlib.util
import shutil
import sys

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("doc_outputs", ROOT / "scripts" / "doc_outputs.py")
doc_outputs = importlib.util.module_from_spec(_spec)
sys.modules["doc_outputs"] = doc_outputs
_spec.loader.exec_module(doc_outputs)

COMMANDS = []
for _doc in doc_outputs.documents():
    _previous = ""
    for _c in doc_outputs.console_commands(_doc):
        COMMANDS.append((_c, _previous))
        _previous = _c.command


@pytest.fixture(scope="module")
def scratch():
    path = doc_outputs.scratch_copy()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("c, previous", COMMANDS, ids=lambda x: f"{x.doc.name}:{x.line}" if hasattr(x, "doc") else "")
def test_console_transcript_is_true(c, previous, scratch):
    actual = doc_outputs.output_of(c.command, previous, scratch)
    assert doc_outputs.matches(c.expected, actual), "\n".join(actual)


def test_every_document_with_commands_is_checked():
    names = {c.doc.name for c, _ in COMMANDS}
    assert {"README.md", "output.md", "impact.md", "workflows.md"} <= names


def test_ellipsis_matches_any_run_of_lines():
    assert doc_outputs.matches(["a", "…", "d"], ["a", "b", "c", "d"])
    assert doc_outputs.matches(["a", "…", "d"], ["a", "d"])
    assert not doc_outputs.matches(["a", "…", "d"], ["a", "b"])
    assert not doc_outputs.matches(["a"], ["a", "b"])


SH_COMMANDS = [(d.name, n, cmd) for d in doc_outputs.documents() for n, cmd in doc_outputs.sh_commands(d)]


@pytest.mark.parametrize("name, line, command", SH_COMMANDS, ids=[f"{d}:{n}" for d, n, _ in SH_COMMANDS])
def test_sh_examples_use_options_that_exist(name, line, command):
    """``netpol-lint ...`` lines of ``sh`` blocks (placeholders like k8s/ for paths) parse."""
    import shlex

    from netpol_lint.cli import COMMANDS, build_parser

    tokens = shlex.split(command, comments=True)
    for i, t in enumerate(tokens):
        if t.startswith((">", "2>", "<")) or t in ("|", "&&", ";"):
            tokens = tokens[:i]
            break
    argv = tokens[1:]
    if argv[:1] == ["--version"]:
        return
    if not argv or argv[0] not in COMMANDS:
        argv.insert(0, "lint")
    try:
        build_parser(argv[0]).parse_args(argv)    # UsageError for an option that does not exist
    except SystemExit as exc:                     # `--help` prints and exits 0
        assert exc.code == 0 and ("--help" in argv or "-h" in argv), command


def test_sh_examples_are_found():
    assert len(SH_COMMANDS) > 10


def test_install_instructions_need_no_package_index():
    readme = (ROOT / "README.md").read_text()
    assert "pip install ." in readme and "pip install \"git+https://" in readme
    assert "pip install netpol-lint\n" not in readme          # not on an index yet

