"""The language server end to end: a real LSP client (pytest-lsp) talking to ``netpol-lint lsp``
in a subprocess over stdio, on a copy of examples/ (issue 19)."""
from __future__ import annotations

import contextlib

import netpol_lint

import asyncio
import shutil
import sys
import time
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
import pytest_asyncio  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HELP = "https://github.com/netpol-lint/netpol-lint/blob/main/docs/rules.md#"


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "netpol_lint", "lsp"]))
async def client(lsp_client: LanguageClient, tmp_path_factory):
    """One server for the module (starting one costs seconds of imports); every test leaves
    the workspace as it found it (``restore``)."""
    ws = tmp_path_factory.mktemp("lsp") / "ws"
    shutil.copytree(EXAMPLES, ws, ignore=shutil.ignore_patterns("README.md"))
    lsp_client.root = ws
    lsp_client.versions = {}
    lsp_client.created = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params):                 # the server asks to watch manifests: granted
        lsp_client.registrations = params.registrations

    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=ws.as_uri(), name="ws")],
        initialization_options={"debounceMs": 10}))
    await wait_for(lsp_client, "shop/orders.yaml", blocked)
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def restore(client):
    """Close what a test opened, delete what it created, and wait for the initial findings."""
    yield
    if client.capabilities is None:
        return
    for path in list(client.versions):
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(client, path))))
    client.versions.clear()
    if client.created:
        for path in client.created:
            (client.root / path).unlink()
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=uri(client, p), type=types.FileChangeType.Deleted) for p in client.created]))
        client.created.clear()
    await wait_for(client, "shop/orders.yaml", blocked)
    await wait_for(client, "shop/cart.yaml", lambda ds: codes(ds) == ["NPL101"])


def uri(client, path: str) -> str:
    return (client.root / path).as_uri()


def codes(diags) -> list[str]:
    return sorted(d.code for d in diags or ())


def blocked(diags) -> bool:
    """shop/orders.yaml as examples/ has it: the Deployment's NPL201 (and NPL110 on its
    APIRule's version, which no edit here touches)."""
    return codes(diags) == ["NPL110", "NPL201"]


def unblocked(diags) -> bool:
    return codes(diags) == ["NPL110"]


def npl201(diags):
    return next(d for d in diags if d.code == "NPL201")


async def wait_for(client, path: str, predicate, timeout: float = 10.0):
    """The file's latest diagnostics once ``predicate`` holds for them (else fail)."""
    deadline = time.monotonic() + timeout
    while True:
        diags = client.diagnostics.get(uri(client, path))
        if diags is not None and predicate(diags):
            return diags
        if time.monotonic() > deadline:
            pytest.fail(f"{path}: diagnostics never matched; last: {[(d.code, d.message[:60]) for d in diags or ()]}")
        await asyncio.sleep(0.01)


def open_doc(client, path: str, text: str | None = None) -> str:
    text = (client.root / path).read_text() if text is None else text
    client.versions[path] = 1
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri(client, path), language_id="yaml", version=1, text=text)))
    return text


def replace_doc(client, path: str, text: str) -> None:
    client.versions[path] += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri(client, path), version=client.versions[path]),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p: types.Position) -> int:
        return starts[p.line] + p.character if p.line < len(starts) else len(text)

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


def document_edits(action: types.CodeAction) -> dict[str, list[types.TextEdit]]:
    out: dict[str, list[types.TextEdit]] = {}
    for change in action.edit.document_changes:
        if isinstance(change, types.TextDocumentEdit):
            out.setdefault(change.text_document.uri, []).extend(change.edits)
    return out


async def actions_at(client, path: str, diag: types.Diagnostic) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri(client, path)), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag])))


# -- diagnostics -------------------------------------------------------------------------------

async def test_workspace_diagnostics_without_opening_anything(client):
    """Every manifest of the folder is linted at start, open or not, with the CLI's findings."""
    d = npl201(await wait_for(client, "shop/orders.yaml", blocked))
    assert d.code == "NPL201" and d.severity == types.DiagnosticSeverity.Error and d.source == "netpol-lint"
    assert d.code_description.href == HELP + "npl201-ingressgateway-blocked"
    assert (d.range.start.line, d.range.start.character) == (45, 8)     # CLI: shop/orders.yaml:46:9
    assert d.message.startswith("Deployment shop/orders is the backend of APIRule shop/orders")
    related = {(Path(r.location.uri).name, r.location.range.start.line + 1, r.message.split(" ")[0])
               for r in d.related_information}
    assert related == {("orders.yaml", 10, "APIRule"), ("orders.yaml", 7, "APIRule"), ("orders.yaml", 28, "Service"),
                       ("network-policies.yaml", 8, "NetworkPolicy"), ("network-policies.yaml", 19, "NetworkPolicy"),
                       ("network-policies.yaml", 75, "NetworkPolicy")}   # the near miss (issue 16)
    assert codes(client.diagnostics[uri(client, "shop/cart.yaml")]) == ["NPL101"]
    assert codes(client.diagnostics[uri(client, "payments/payments.yaml")]) == ["NPL105", "NPL205", "NPL205", "NPL207"]
    assert uri(client, "shop/storefront.yaml") not in client.diagnostics  # clean files: nothing published


async def test_policy_edit_changes_diagnostics_of_a_deployment_in_another_file(client):
    path = "shop/network-policies.yaml"
    text = open_doc(client, path)
    # default-deny is one of the two policies isolating shop/orders: drop its Ingress type
    # and allow-within-namespace still isolates it -> NPL201 stays; remove both -> gone.
    docs = text.split("\n---\n")
    kept = [d for d in docs if "name: default-deny" not in d and "name: allow-within-namespace" not in d]
    assert len(kept) == len(docs) - 2
    replace_doc(client, path, "\n---\n".join(kept))
    await wait_for(client, "shop/orders.yaml", unblocked)
    replace_doc(client, path, text)                                    # undo: the finding is back
    await wait_for(client, "shop/orders.yaml", blocked)


async def test_half_typed_yaml_gives_npl001_and_the_server_keeps_answering(client):
    path = "shop/cart.yaml"
    text = open_doc(client, path)
    template = text.index("  template:")
    for partial in (text[:template] + "  template:\n    metadata:\n      labels: {app: cart\n",
                    text.replace("  name: cart\n", "  name: cart\n   namespace: shop\n", 1),
                    text.replace("  selector:\n", "  selector: [\n", 1),
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"unterminated\n", "\t- x: :\n", ""):
        replace_doc(client, path, partial)
        if partial.strip():
            diags = await wait_for(client, path, lambda ds: "NPL001" in codes(ds))
            assert all(d.range.start.line >= 0 for d in diags)
        else:
            await wait_for(client, path, lambda ds: not ds)
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(client, path)), position=types.Position(line=0, character=0)))
        assert hover is None or hover.contents
    replace_doc(client, path, text)
    await wait_for(client, path, lambda ds: codes(ds) == ["NPL101"])


async def test_positions_are_utf16_for_a_utf16_client(client):
    """An astral character (two UTF-16 units) in the finding's range: the range counts it twice."""
    path = "shop/cart.yaml"
    text = open_doc(client, path)
    key = "networking.kyma-project.io/from-ingressgateway"
    replace_doc(client, path, text.replace("        app: cart\n    spec:", f'        app: cart\n        {key}: "\U0001F600"\n    spec:'))
    d = next(d for d in await wait_for(client, path, lambda ds: "NPL003" in codes(ds)) if d.code == "NPL003")
    assert d.range.start.line == d.range.end.line == 25
    assert (d.range.start.character, d.range.end.character) == (8 + len(key) + 2, 8 + len(key) + 2 + 4)


# -- code actions ------------------------------------------------------------------------------

async def test_fix_action_applied_relints_clean(client):
    path = "shop/cart.yaml"
    text = open_doc(client, path)
    (diag,) = await wait_for(client, path, lambda ds: codes(ds) == ["NPL101"])
    actions = await actions_at(client, path, diag)
    titles = [a.title for a in actions]
    assert titles[0] == "Fix NPL101: set networking.kyma-project.io/from-ingressgateway: allowed"
    assert actions[0].is_preferred and actions[0].kind == types.CodeActionKind.QuickFix
    assert "Suppress NPL101 for Deployment shop/cart (annotation netpol-lint.io/ignore)" in titles
    assert "Suppress NPL101 on this line (comment)" in titles
    (edits,) = document_edits(actions[0]).values()
    fixed = apply_edits(text, edits)
    assert fixed == text.replace("        app: cart\n    spec:",
                                 "        app: cart\n        networking.kyma-project.io/from-ingressgateway: allowed\n    spec:")
    replace_doc(client, path, fixed)
    await wait_for(client, path, lambda ds: not ds)


@pytest.mark.parametrize("which", ["annotation", "comment"])
async def test_suppress_actions_applied_silence_the_finding(client, which):
    path = "shop/cart.yaml"
    text = open_doc(client, path)
    (diag,) = await wait_for(client, path, lambda ds: codes(ds) == ["NPL101"])
    action = next(a for a in await actions_at(client, path, diag) if a.title.startswith("Suppress") and which in a.title)
    (edits,) = document_edits(action).values()
    new = apply_edits(text, edits)
    if which == "comment":
        assert "      labels:\n        # netpol-lint: disable=NPL101\n        app: cart\n" in new
    else:
        assert "  annotations:\n    netpol-lint.io/ignore: NPL101\n" in new
    replace_doc(client, path, new)
    await wait_for(client, path, lambda ds: not ds)


async def test_npl201_allow_policy_as_a_new_file(client):
    path = "shop/orders.yaml"
    diag = npl201(client.diagnostics[uri(client, path)])
    action = next(a for a in await actions_at(client, path, diag) if a.title.startswith("Create policy file"))
    create, edit = action.edit.document_changes
    assert isinstance(create, types.CreateFile)
    assert create.uri == uri(client, "shop/allow-istio-ingressgateway-to-orders.yaml") == edit.text_document.uri
    (new_text,) = [e.new_text for e in edit.edits]
    assert "kind: NetworkPolicy" in new_text and "port: 3000" in new_text
    # the client creates the file and opens it: the Deployment in orders.yaml is reachable again
    new_path = "shop/allow-istio-ingressgateway-to-orders.yaml"
    (client.root / new_path).write_text(new_text)
    client.created.append(new_path)
    open_doc(client, new_path, new_text)
    await wait_for(client, path, unblocked)
    assert not client.diagnostics.get(uri(client, new_path))


# -- hover and navigation ----------------------------------------------------------------------

async def hover_text(client, path: str, line: int, char: int) -> str:
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri(client, path)), position=types.Position(line=line, character=char)))
    return h.contents.value if h is not None else ""


async def test_hover_on_workload_service_route_and_policy(client):
    text = await hover_text(client, "shop/orders.yaml", 44, 10)          # the Deployment's pod template
    assert text.startswith("**Deployment shop/orders** (pod template)")
    assert "- APIRule shop/orders → Service shop/orders port 80 → TCP 3000 (via istio-ingressgateway)" in text
    assert "- ingress: isolated by NetworkPolicy shop/allow-within-namespace, NetworkPolicy shop/default-deny" in text
    assert "- istio-ingressgateway → TCP 3000: **DENIED**" in text
    assert "isolated by shop/allow-within-namespace, shop/default-deny; no ingress rule admits" in text
    svc = await hover_text(client, "shop/orders.yaml", 23, 3)
    assert svc.startswith("**Service shop/orders**") and "Selects the pods of Deployment shop/orders." in svc
    assert "- APIRule shop/orders → Service shop/orders port 80 (ingress)" in svc
    route = await hover_text(client, "shop/orders.yaml", 7, 4)
    assert route.startswith("**APIRule shop/orders**") and "backend Deployment shop/orders on TCP 3000" in route
    assert "istio-ingressgateway → TCP 3000: **DENIED**" in route
    pol_text = (client.root / "shop/network-policies.yaml").read_text().splitlines()
    line = next(i for i, s in enumerate(pol_text) if s.strip() == "name: default-deny")
    pol = await hover_text(client, "shop/network-policies.yaml", line, 4)
    assert pol.startswith("**NetworkPolicy shop/default-deny**") and "- Deployment shop/orders" in pol


async def test_definitions_and_references(client):
    def where(locs):
        return sorted((loc.uri[len(client.root.as_uri()) + 1:], loc.range.start.line) for loc in locs or ())

    def params(path, line, char, cls=types.DefinitionParams, **kw):
        return cls(text_document=types.TextDocumentIdentifier(uri=uri(client, path)),
                   position=types.Position(line=line, character=char), **kw)

    # APIRule spec.service.name -> the Service (its metadata.name)
    assert where(await client.text_document_definition_async(params("shop/orders.yaml", 9, 12))) == \
        [("shop/orders.yaml", 23)]
    # VirtualService: the destination under the cursor -> its Service (http[1] -> catalog);
    # http[0]'s 'reviews.shop' names no Service (NPL109): nothing to go to
    assert where(await client.text_document_definition_async(params("shop/catalog.yaml", 21, 20))) == \
        [("shop/catalog.yaml", 28)]
    assert where(await client.text_document_definition_async(params("shop/catalog.yaml", 16, 20))) == []
    # Service -> the pod template it selects (its labels)
    assert where(await client.text_document_definition_async(params("shop/orders.yaml", 26, 6))) == \
        [("shop/orders.yaml", 45)]
    # policy podSelector -> the workloads it matches
    pol_text = (client.root / "shop/network-policies.yaml").read_text().splitlines()
    start = next(i for i, s in enumerate(pol_text) if s.strip() == "name: default-deny")
    sel = next(i for i in range(start, len(pol_text)) if "podSelector" in pol_text[i])
    targets = where(await client.text_document_definition_async(params("shop/network-policies.yaml", sel, 4)))
    assert ("shop/orders.yaml", 45) in targets and ("shop/cart.yaml", 24) in targets
    # references of a Service: the routes naming it
    refs = await client.text_document_references_async(params(
        "shop/orders.yaml", 23, 8, types.ReferenceParams, context=types.ReferenceContext(include_declaration=False)))
    assert where(refs) == [("shop/orders.yaml", 9)]


async def test_watched_file_changes(client):
    """Files changed outside the editor (git checkout, a generator) are read again."""
    assert [r.method for r in client.registrations] == ["workspace/didChangeWatchedFiles"]
    assert npl201(client.diagnostics[uri(client, "shop/orders.yaml")])
    new_path = "shop/generated-allow.yaml"
    with contextlib.chdir(client.root):       # NPL201's ready allow policy (its detail)
        policy = next(f.detail for f in netpol_lint.lint(["."], select="NPL201").findings
                      if f.location.file == "shop/orders.yaml")
    (client.root / new_path).write_text(policy)
    client.created.append(new_path)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=uri(client, new_path), type=types.FileChangeType.Created)]))
    await wait_for(client, "shop/orders.yaml", unblocked)


async def test_config_change_reloads_the_workspace(client):
    config = ".netpol-lint.yaml"
    (client.root / config).write_text("ignore: [NPL201, NPL110]\n")
    client.created.append(config)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=uri(client, config), type=types.FileChangeType.Created)]))
    await wait_for(client, "shop/orders.yaml", lambda ds: not ds)
    assert codes(client.diagnostics[uri(client, "shop/cart.yaml")]) == ["NPL101"]


async def test_shutdown(client):
    """Last in the module: it ends the shared server."""
    await client.shutdown_session()
    assert client._server.returncode == 0
    client.capabilities = None            # the fixture's own shutdown has nothing left to do
