"""The language server, through the protocol: ``complaint-rules lsp`` started as a subprocess and driven by
pygls' language client over stdio (diagnostics, hover, definition, completion, formatting, symbols)."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BROKEN = 'policy "broken" {\n}\nclassify first {\n  rule big: amout >= 5000 -> major\n  otherwise -> general\n}\n'


class _Session:
    def __init__(self) -> None:
        self.client = LanguageClient("test-client", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.published = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.published.set()

    async def __aenter__(self) -> _Session:
        await self.client.start_io(sys.executable, "-m", "complaint_rules", "lsp")
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri(), process_id=None))  # fmt: skip
        self.client.initialized(types.InitializedParams())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.published.clear()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=uri, language_id="policy", version=1, text=path.read_text(encoding="utf-8") if text is None else text)))
        await asyncio.wait_for(self.published.wait(), 60)
        return uri

    async def change(self, uri: str, text: str, version: int) -> None:
        self.published.clear()
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=text)]))  # fmt: skip
        await asyncio.wait_for(self.published.wait(), 60)


def _at(text: str, needle: str, offset: int = 0) -> types.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1))


def _run(coroutine) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 240))


def test_diagnostics_as_you_type(tmp_path):
    path = tmp_path / "broken.policy"
    path.write_text(BROKEN, encoding="utf-8")

    async def session() -> None:
        async with _Session() as s:
            uri = await s.open(path)
            [d] = s.diagnostics[uri]
            assert d.message == "unknown field 'amout' (did you mean 'amount'?)" or d.message.startswith(
                "unknown field 'amout'")
            assert d.severity == types.DiagnosticSeverity.Error and d.source == "complaint-rules"
            assert (d.range.start.line, d.range.start.character) == (3, 12)
            assert (d.range.end.line, d.range.end.character) == (3, 17)
            await s.change(uri, BROKEN.replace("amout >= 5000", "repeat_count >= 2"), 2)
            assert s.diagnostics[uri] == []
            await s.change(uri, BROKEN.replace("rule big", "rul big"), 3)
            [d] = s.diagnostics[uri]
            assert d.message.startswith("unexpected 'rul'") and d.range.start == types.Position(3, 2)

    _run(session())


def test_hover_definition_completion_symbols_across_extends(tmp_path):
    for name in ("dealer.policy", "dealer-branch.policy"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    base = tmp_path / "dealer.policy"
    branch = tmp_path / "dealer-branch.policy"
    base_text, branch_text = base.read_text(encoding="utf-8"), branch.read_text(encoding="utf-8")

    async def session() -> None:
        async with _Session() as s:
            uri = await s.open(branch)
            assert s.diagnostics[uri] == []
            doc = types.TextDocumentIdentifier(uri=uri)
            # hover: a field's type
            hover = await s.client.text_document_hover_async(types.HoverParams(doc, _at(branch_text, "category", 2)))
            assert hover is not None and "field `category`: enum" in hover.contents.value
            # definition of a field declared in the base: the base file, at the declaration
            where = await s.client.text_document_definition_async(
                types.DefinitionParams(doc, _at(branch_text, "category", 2)))
            assert isinstance(where, types.Location) and where.uri == base.resolve().as_uri()
            assert where.range.start == _at(base_text, "category:")
            # the overridden rule is this file's
            where = await s.client.text_document_definition_async(
                types.DefinitionParams(doc, _at(branch_text, "defect_contact", 3)))
            assert where.uri == uri and where.range.start == _at(branch_text, "defect_contact")
            # completion: keywords, fields, members, levels, units
            found = await s.client.text_document_completion_async(
                types.CompletionParams(doc, types.Position(0, 0)))
            labels = {item.label for item in found.items}
            assert {"classify", "working", "category", "product_quality", "received_at"} <= labels
            # symbols: the rules and declarations of this file only
            symbols = await s.client.text_document_document_symbol_async(types.DocumentSymbolParams(doc))
            # (the overridden rule, and the clock it is the first rule of)
            assert [(sym.name, sym.detail) for sym in symbols] == [("defect_contact", "rule"), ("first_contact", "clock")]
            base_uri = await s.open(base)
            symbols = await s.client.text_document_document_symbol_async(
                types.DocumentSymbolParams(types.TextDocumentIdentifier(base_uri)))
            names = {sym.name for sym in symbols}
            assert {"category", "first_contact", "defect_contact", "general_manager"} <= names

    _run(session())


def test_formatting_returns_the_canonical_text(tmp_path):
    path = tmp_path / "dealer.policy"
    canonical = (ROOT / "examples" / "dealer.policy").read_text(encoding="utf-8")
    messy = canonical.replace("  version", "      version", 1)
    path.write_text(messy, encoding="utf-8")

    async def session() -> None:
        async with _Session() as s:
            uri = await s.open(path)
            doc = types.TextDocumentIdentifier(uri=uri)
            options = types.FormattingOptions(tab_size=2, insert_spaces=True)
            [edit] = await s.client.text_document_formatting_async(types.DocumentFormattingParams(doc, options))
            assert edit.new_text == canonical and edit.range.start == types.Position(0, 0)
            await s.change(uri, canonical, 2)
            assert list(await s.client.text_document_formatting_async(types.DocumentFormattingParams(doc, options))) == []

    _run(session())


def test_lsp_command_is_documented(capsys):
    from complaint_rules.cli import main

    assert main(["lsp", "--help"]) == 0
    assert "language server" in capsys.readouterr().out
