"""Hostile input (issue 8, part 1): every case is a finding or a skip note, in bounded time,
and the rest of the input is still linted.

Limits and their defaults are documented in docs/limits.md; the symlink rule in
docs/security.md.  Tests run as root in CI containers, where permissions do not stop reads,
so unreadable files and directories are simulated by making the OS calls fail.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from conftest import finding_lines, lint_json
from netpol_lint.load import loader
from netpol_lint.load.loader import Limits, SourceFile, discover, parse_text, read_file
from netpol_lint.model.session import Session

GOOD = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n"
        "  selector: {app: web}\n  ports:\n  - {name: http, port: 80, targetPort: 70000}\n")
GOOD_FINDING = "good.yaml:9:40 NPL003 Service shop/web"   # a known finding: proves linting went on


def parse(text: str, limits: Limits = Limits()) -> SourceFile:
    return parse_text(SourceFile("h.yaml"), text, limits)


def problems(src: SourceFile) -> list[tuple[str, int, int, str]]:
    return [(p.kind, p.location.line, p.location.column, p.message) for p in src.problems]


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ["  l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + "\n".join(lines) + "\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A directory with one good manifest (with one known NPL003), as the current directory."""
    (tmp_path / "good.yaml").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str) -> tuple[int, list[str]]:
    code, report = lint_json(*args, "--select", "NPL001,NPL002,NPL003")
    return code, finding_lines(report)


# -- YAML bombs and nesting --------------------------------------------------------------

def test_billion_laughs_is_npl001_and_fast():
    start = time.monotonic()
    src = parse(billion_laughs() + "---\n" + GOOD)
    assert time.monotonic() - start < 5
    (rule, line, col, msg), = problems(src)
    assert (rule, line) == ("syntax", 7) and "excessive aliasing" in msg
    assert [d.data["metadata"]["name"] for d in src.documents] == ["web"]


def test_moderate_aliasing_is_fine_and_shares_objects():
    src = parse("base: &b {app: web, tier: fe}\na: *b\nb: [*b, *b]\n")
    data = src.documents[0].data
    assert not src.problems and data["a"] is data["base"] and data["b"][1] is data["base"]


def test_many_small_bombs_in_one_file_hit_the_per_file_alias_budget():
    one = "a: &a [" + ", ".join(["x"] * 50) + "]\nb: [" + ", ".join(["*a"] * 90) + "]\n"  # 4.5k, ratio ok
    src = parse("---\n".join([one] * 40), Limits(max_nodes_per_document=50_000))
    assert len(src.documents) == 10  # 90 aliases of a 51-node list each: ten documents fit in 50k
    assert {m.split(": ", 1)[1] for *_, m in problems(src)} == {
        "aliases in this file expand to more than 50000 nodes in all"}


def test_recursive_anchor_is_npl001_not_a_cycle():
    src = parse("a: &x [1, *x]\n---\n" + GOOD)
    assert problems(src)[0][:3] == ("syntax", 1, 11) and "recursive" in problems(src)[0][3]
    assert [d.data["kind"] for d in src.documents] == ["Service"]


def test_undefined_alias_and_redefined_anchor():
    assert "undefined alias" in problems(parse("a: *nope\n"))[0][3]
    src = parse("a: &x 1\nb: &x 2\nc: *x\n")          # go-yaml (kubectl) lets a later anchor win
    assert not src.problems and src.documents[0].data == {"a": 1, "b": 2, "c": 2}


@pytest.mark.parametrize("text, where", [
    ("- " * 10_000 + "x\n", (1, 401)),                                  # 10k-deep block sequence
    ("a:\n" + "".join(" " * i + "k:\n" for i in range(1, 300)) + " " * 300 + "v\n", (201, 201)),
    ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", (1, 203)),            # would segfault libyaml's composer
    ("a: " + "{b: " * 50_000 + "1" + "}" * 50_000 + "\n", (1, 800)),
    ("a: " + "[" * 1_000_000 + "\n", (1, 203)),                          # 1 MB line, never closed
], ids=["block-seq-10k", "block-map-300", "flow-seq-100k", "flow-map-50k", "open-flow-1M"])
def test_deep_nesting_stops_at_the_depth_limit_quickly(text, where):
    start = time.monotonic()
    src = parse(text + "---\n" + GOOD)
    assert time.monotonic() - start < 10
    (rule, line, col, msg), = problems(src)
    assert (rule, line) == ("syntax", where[0])
    if "maximum nesting depth" in msg:
        # libyaml >= 0.2.5 as bundled with PyYAML 6.0.4 stops deep flow nesting itself, at
        # depth 1000, while scanning ahead of the parser: still NPL001, still bounded.
        assert col <= where[1] + 800
    else:
        assert col == where[1] and "nested more than 200 levels" in msg
    assert [d.data["kind"] for d in src.documents] == ["Service"]


def test_depth_limit_is_configurable():
    text = "- " * 300 + "x\n"
    assert problems(parse(text))
    src = parse(text, Limits(max_depth=400))
    assert not src.problems and len(src.documents) == 1


def test_node_limit():
    src = parse("a: [" + ", ".join(["1"] * 1000) + "]\n---\n" + GOOD, Limits(max_nodes_per_document=500))
    assert problems(src)[0][0] == "syntax" and "more than 500 nodes" in problems(src)[0][3]
    assert [d.data["kind"] for d in src.documents] == ["Service"]


def test_deep_json_is_npl001_not_a_crash(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    (rule, _, _, msg), = problems(read_file(str(p)))
    assert rule == "syntax" and "nested too deeply" in msg
    p.write_text('{"a": ' + "1" * 5000 + "}")  # beyond Python's int digit limit
    assert problems(read_file(str(p)))[0][0] == "syntax"


# -- size and long lines ---------------------------------------------------------------------

def test_file_over_the_size_limit_is_never_read(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(200 * 1024 * 1024)       # sparse: 200 MB that cost nothing
    monkeypatch.setattr(os, "read", lambda *a: pytest.fail("an oversized file was read"))
    (rule, line, col, msg), = problems(read_file(str(big)))
    assert (rule, line, col) == ("unreadable", 1, 1) and "67108864-byte limit" in msg


def test_size_limit_option(repo):
    (repo / "big.yaml").write_text("a: " + "x" * 5000 + "\n")
    code, lines = lint(".", "--max-file-size", "4K")
    assert code == 1 and lines == ["big.yaml:1:1 NPL001 -", GOOD_FINDING]


def test_one_megabyte_single_line_scalar_is_read():
    src = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '" + "x" * 1_000_000 + "'}\n")
    assert not src.problems and len(src.documents[0].data["data"]["a"]) == 1_000_000


@pytest.mark.slow
def test_many_broken_documents_cost_linear_time():
    broken = "apiVersion: v1\nkind: ConfigMap\ndata: {a: [1, 2}\n"
    text = ("---\n" + broken + "---\n" + GOOD) * 5000      # 10k documents, 5k syntax errors
    start = time.monotonic()
    src = parse(text)
    assert time.monotonic() - start < 30
    assert len(src.problems) == 5000 and len(src.documents) == 5000
    assert src.problems[-1].location.line == 14 * 4999 + 4   # 14 lines per pair, the error on the 4th
    last = src.documents[-1]
    assert last.locate(("spec", "ports", 0, "targetPort")).line == text.count("\n")


@pytest.mark.parametrize("anchor", ["", "&a "], ids=["plain", "with-anchor"])
def test_position_lookups_compose_one_document_not_the_file(anchor):
    text = "".join(f"---\napiVersion: v1\nkind: Namespace\nmetadata: {anchor}\n  name: ns{i}\n"
                   for i in range(2000))
    src = parse(text)
    assert src.documents[1500].locate(("metadata", "name")).line == 1500 * 5 + 5
    assert not src._all_composed and len(src._nodes or {}) <= 1


# -- encodings and binary ------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_encodings_with_bom_are_read(tmp_path, encoding):
    p = tmp_path / "u.yaml"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    p.write_bytes(bom + GOOD.encode(encoding))
    src = read_file(str(p))
    assert not src.problems and src.documents[0].data["metadata"]["name"] == "web"
    assert src.documents[0].locate(("spec", "ports", 0, "targetPort")).line == 9


def test_utf16_without_bom_is_binary(tmp_path):
    p = tmp_path / "u.yaml"
    p.write_bytes(GOOD.encode("utf-16-le"))
    assert problems(read_file(str(p)))[0][:3] == ("encoding", 1, 1)


def test_invalid_utf8_points_at_the_byte(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf\xe9\n")
    (rule, line, col, msg), = problems(read_file(str(p)))
    assert (rule, line, col) == ("encoding", 4, 12) and "0xe9" in msg


def test_binary_and_late_nul_bytes(tmp_path):
    (tmp_path / "bin.yaml").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "late.yaml").write_bytes(("---\n" + GOOD).encode() * 400 + b"---\nx: \x00\n")
    assert problems(read_file(str(tmp_path / "bin.yaml")))[0][3].startswith("binary file")
    late = read_file(str(tmp_path / "late.yaml"))
    assert problems(late) == [("syntax", 4002, 4, "document 401: control character U+0000 is not allowed in YAML")]
    assert len(late.documents) == 400   # libyaml alone would have refused the whole stream


def test_control_characters_drop_only_their_document():
    src = parse(GOOD + "---\n" + GOOD.replace("name: web", "name: w\x07b") + "---\n" + GOOD)
    assert problems(src) == [("syntax", 14, 10, "document 2: control character U+0007 is not allowed in YAML")]
    assert [d.index for d in src.documents] == [0, 2]
    assert src.documents[1].locate(("metadata", "name")).line == 24


# -- tags, keys and YAML 1.1 -------------------------------------------------------------------

def test_python_tags_never_run(repo):
    marker = repo / "PWNED"
    (repo / "evil.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: !!python/object/apply:os.system\n"
        f"  args: ['touch {marker}']\ndata: !!python/name:os.system ''\n"
        "---\n!!python/object/new:subprocess.Popen [['touch', '" + str(marker) + "']]\n")
    code, lines = lint(".")
    assert not marker.exists()
    assert lines == [GOOD_FINDING]
    src = read_file("evil.yaml")
    assert src.documents[0].data["metadata"] == {"args": [f"touch {marker}"]}


def test_integer_and_boolean_keys_become_strings_like_kubectl_sends_them():
    src = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  80: web\n  on: x\n  1.5: y\n"
                "  2e3: z\n  1000000.0: w\n")
    assert src.documents[0].data["data"] == {"80": "web", "true": "x", "1.5": "y", "2e3": "z", "1e+06": "w"}
    assert src.documents[0].locate(("data", "true"), key=True).line == 6


def test_same_key_as_integer_and_string_is_a_duplicate():
    (rule, line, col, msg), = problems(parse("a:\n  80: x\n  '80': y\n"))
    assert (rule, line, col) == ("syntax", 3, 3) and "duplicate mapping key '80'" in msg


def test_null_key_is_npl001():
    (rule, line, col, msg), = problems(parse("a: 1\n~: 2\n"))
    assert (rule, line, col) == ("syntax", 2, 1) and "null" in msg


def test_yaml_11_booleans_where_strings_are_expected(repo):
    (repo / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n"
                                  "    istio-injection: on\n")
    code, lines = lint(".")
    assert lines == [GOOD_FINDING, "ns.yaml:6:22 NPL003 Namespace shop"]


# -- the file system ---------------------------------------------------------------------------

def skipped(*paths: str) -> dict[str, str]:
    session = Session.load(list(paths))
    return {f.path: f.skipped for f in session.skipped}


def test_symlinks_loops_escapes_and_dangling(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.yaml"
    outside.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: secret}\n")
    os.symlink("loop2.yaml", repo / "loop1.yaml")
    os.symlink("loop1.yaml", repo / "loop2.yaml")
    os.symlink(outside, repo / "escape.yaml")
    os.symlink("missing.yaml", repo / "dangling.yaml")
    (repo / "sub").mkdir()
    os.symlink("../good.yaml", repo / "sub" / "inside.yaml")
    os.symlink(outside.parent, repo / "linked-dir")          # symlinked directories: never walked
    notes = skipped(".")
    assert set(notes) == {"loop1.yaml", "loop2.yaml", "escape.yaml", "dangling.yaml"}
    assert notes["escape.yaml"].startswith(f"symlink to {outside}, outside ") and "not followed" in notes["escape.yaml"]
    assert notes["loop1.yaml"].startswith("broken symlink")
    code, lines = lint(".")
    assert lines == [GOOD_FINDING, GOOD_FINDING.replace("good.yaml", "sub/inside.yaml")]
    # a directory argument is the root: the link inside sub/ points outside sub/
    assert "sub/inside.yaml" in skipped("sub")
    # an explicitly named link is judged against the current directory
    assert skipped("escape.yaml") == {"escape.yaml": notes["escape.yaml"]} and skipped("sub/inside.yaml") == {}


def test_fifo_and_socket_never_block(repo):
    os.mkfifo(repo / "fifo.yaml")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(repo / "sock.yaml"))
    try:
        proc = subprocess.run([sys.executable, "-m", "netpol_lint", ".", "fifo.yaml", "-v", "--select", "NPL003",
                               "--format", "json"], cwd=repo, capture_output=True, text=True, timeout=60)
    finally:
        sock.close()
    assert proc.returncode == 1
    assert finding_lines(json.loads(proc.stdout)) == [GOOD_FINDING]
    assert "note: skipped fifo.yaml: not a regular file" in proc.stderr
    assert "note: skipped sock.yaml: not a regular file" in proc.stderr


def test_devices_named_explicitly_are_skipped():
    shown = os.path.relpath("/dev/zero").replace(os.sep, "/")    # relative, as every path is shown
    assert skipped("/dev/zero") == {shown: "not a regular file (FIFO, socket or device)"}


def test_unreadable_file_is_npl001(repo, monkeypatch):
    (repo / "secret.yaml").write_text(GOOD)
    real_open = os.open

    def deny(path, *args, **kw):
        if str(path).endswith("secret.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr(loader.os, "open", deny)
    code, report = lint_json(".", "--select", "NPL001,NPL003")
    assert [(f["file"], f["rule"], f["message"]) for f in report["findings"]] == [
        ("good.yaml", "NPL003", report["findings"][0]["message"]),
        ("secret.yaml", "NPL001", "cannot read file: Permission denied")]


def test_unreadable_directory_is_a_skip_note_and_an_unreadable_argument_exit_2(repo, monkeypatch):
    (repo / "private").mkdir()
    (repo / "private" / "x.yaml").write_text(GOOD)
    real_scandir = os.scandir

    def deny(path="."):
        if str(path).rstrip("/").endswith("private"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    assert skipped(".") == {"private": "directory cannot be read: Permission denied"}
    code, lines = lint(".")
    assert (code, lines) == (1, [GOOD_FINDING])
    files, errors = discover(["private"])
    assert (files, errors) == ([], ["private"])       # the CLI exits 2 for a path it cannot read


# -- everything at once ------------------------------------------------------------------------

def test_a_tree_of_hostile_files_still_lints_the_good_one(repo):
    (repo / "bomb.yaml").write_text(billion_laughs())
    (repo / "deep.yaml").write_text("a: " + "[" * 200_000 + "\n")
    (repo / "bin.yaml").write_bytes(os.urandom(4096) + b"\x00")
    (repo / "latin1.yaml").write_bytes("a: caf\xe9\n".encode("latin-1"))
    (repo / "tabs.yaml").write_text("a:\n\tb: c\n")
    (repo / "helm.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n")
    (repo / "empty.yaml").write_text("")
    (repo / "nul.json").write_bytes(b'{"a": 1}\x00')
    os.mkfifo(repo / "fifo.yml")
    start = time.monotonic()
    code, lines = lint(".")
    assert time.monotonic() - start < 60
    assert code == 1
    # deep.yaml stops at our depth limit (column 203) or, with libyaml's own flow-depth
    # limit (PyYAML 6.0.4 wheels), at depth 1000: both NPL001 on line 1
    lines = [("deep.yaml:1:203 NPL001 -" if ln in ("deep.yaml:1:1003 NPL001 -",) else ln) for ln in lines]
    assert lines == ["bin.yaml:1:1 NPL001 -", "bomb.yaml:7:7 NPL001 -", "deep.yaml:1:203 NPL001 -", GOOD_FINDING,
                     "helm.yaml:1:1 NPL002 -", "latin1.yaml:1:7 NPL001 -", "nul.json:1:1 NPL001 -",
                     "tabs.yaml:2:1 NPL001 -"]


@pytest.mark.parametrize("option, value", [("--max-file-size", "0"), ("--max-file-size", "lots"),
                                           ("--max-depth", "-3"), ("--max-nodes", "x")])
def test_bad_limit_options_are_usage_errors(repo, option, value):
    proc = subprocess.run([sys.executable, "-m", "netpol_lint", ".", option, value], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("netpol-lint: error: argument " + option)
    assert "Traceback" not in proc.stderr


def test_declarative_message_templates_cannot_allocate_or_reach_attributes():
    from netpol_lint.engine.declarative import render_message

    assert render_message("{value:>2000000000}", {"value": "x"}) == "{value:>2000000000}"
    assert render_message("{value.__class__}", {"value": "x"}) == "{value.__class__}"
    assert render_message("{value!a}", {"value": "x"}) == "{value!a}"
    assert render_message("{key}={value!r}", {"key": "k", "value": "v" * 500}).startswith("k='vvv")
    assert len(render_message("{value}", {"value": "v" * 10_000})) <= 203


@pytest.mark.parametrize("kind", ["[Service]", "{a: b}"])
def test_unhashable_kind_is_a_skip_note_not_a_crash(tmp_path, kind):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "odd.yaml").write_text(f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: x}}\n")
    code, report = lint_json(".", cwd=tmp_path)
    assert (code, finding_lines(report)) == (1, [GOOD_FINDING])
