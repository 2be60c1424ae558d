"""A language server for policies (``complaint-rules lsp``): diagnostics, hover, definition, completion,
formatting and document symbols, over stdio. Requires pygls (the ``lsp`` extra).

The answers come from :class:`Outline`, which knows nothing of the protocol: the last policy of a
document that loaded, and where each name of it is declared (across ``extends``: a base rule's span
names the base file).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import ir
from ..errors import Diagnostic, PolicyError
from ..language.frontend import dsl
from ..language.overlay import near_misses
from ..language.printer import print_policy
from ..policy import DSL_SUFFIXES, Policy, display_path, load, loads, parse_file, parse_text
from ..span import Span, locate
from . import keywords

__all__ = ["Declaration", "Outline", "analyse", "build_server", "main"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclasses.dataclass(frozen=True)
class Declaration:
    """A name a policy declares: what it is, where, and what hover says about it."""

    name: str
    kind: str  # field, unit, level, rule, clock, option
    span: Span | None
    detail: str


@dataclasses.dataclass(frozen=True)
class Outline:
    """What the server knows of one document: its problems, and its policy's declarations if it loaded."""

    diagnostics: tuple[Diagnostic, ...]
    warnings: tuple[Diagnostic, ...]
    declarations: tuple[Declaration, ...]
    policy: Policy | None

    def find(self, name: str) -> Declaration | None:
        """The declaration of ``name`` (fields first, then units, levels, clocks, rules, options)."""
        return next((d for d in self.declarations if d.name == name), None)

    def members(self) -> tuple[str, ...]:
        """Every enum and set member of the record schema."""
        if self.policy is None:
            return ()
        return tuple(m for f in self.policy.compiled.schema.values() for m in f.type.members)


def _path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def _format_of(uri: str) -> str:
    return "dsl" if uri.endswith(DSL_SUFFIXES) or not uri.endswith((".yaml", ".yml")) else "yaml"


def _declarations(policy: Policy) -> tuple[Declaration, ...]:
    found: list[Declaration] = []
    for f in policy.compiled.schema.values():
        default = "" if f.default is None else f", default {f.default}"
        required = ", required" if f.required else ""
        label = f" — {f.label}" if f.label else ""
        found.append(Declaration(f.name, "field", f.span, f"field `{f.name}`: {f.type}{default}{required}{label}"))
    for kind, items in (("unit", policy.ir.units), ("level", policy.ir.levels)):
        for n in items:
            found.append(Declaration(n.id, kind, n.span, f"{kind} `{n.id}`" + (f": {n.label}" if n.label else "")))
    for rule in ir.all_rules(policy.ir):
        written = rule.span.source.line(rule.span.line).strip() if rule.span and rule.span.source else rule.id
        found.append(Declaration(rule.id, "rule", rule.span, f"rule `{rule.id}`\n\n```policy\n{written}\n```"))
    for d in policy.ir.deadlines:
        if not any(x.name == d.clock and x.kind == "clock" for x in found):
            found.append(Declaration(d.clock, "clock", d.span, f"clock `{d.clock}` (first set by rule `{d.id}`)"))
    return tuple(found)


def analyse(text: str, uri: str) -> Outline:
    """Parse and check a document's text as the file at ``uri`` (``extends`` is read from disk)."""
    path = _path(uri)
    name = display_path(path) if path is not None else uri
    fmt = _format_of(uri)
    try:
        source = parse_text(text, name, fmt)  # type: ignore[arg-type]
        if source.extends is None and source.header.calendar_data is None:
            policy = loads(text, fmt, name)  # type: ignore[arg-type]
        elif path is not None and path.is_file() and path.read_text(encoding="utf-8-sig") == text:
            policy = load(path)
        else:  # an overlay being edited: what its text alone says until it is saved
            return Outline((), (), (), None)
    except PolicyError as exc:
        return Outline(exc.diagnostics, (), (), None)
    warnings: tuple[Diagnostic, ...] = ()
    if policy.source.extends is not None and path is not None:
        _, base = parse_file(path.parent / policy.source.extends)
        warnings = tuple(near_misses(base, policy.source))
    return Outline((), warnings, _declarations(policy), policy)


def _range(span: Span | None) -> types.Range:
    if span is None:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    end_line = (span.end_line or span.line) - 1
    end_column = (span.end_column or span.column + 1) - 1
    return types.Range(types.Position(span.line - 1, span.column - 1), types.Position(end_line, end_column))


def _lsp_diagnostic(d: Diagnostic, severity: types.DiagnosticSeverity) -> types.Diagnostic:
    return types.Diagnostic(range=_range(d.span), message=d.message.removeprefix("warning: "),
                            severity=severity, source="complaint-rules", code=d.kind)  # fmt: skip


def _word_at(text: str, position: types.Position) -> str | None:
    lines = text.split("\n")
    if position.line >= len(lines):
        return None
    line = lines[position.line]
    for m in _WORD.finditer(line):
        if m.start() <= position.character <= m.end():
            return m.group(0)
    return None


def _uri_of(span: Span, fallback: str) -> str:
    if span.source is None:
        return fallback
    path = Path(span.source.name)
    return path.resolve().as_uri() if path.is_file() else fallback


def build_server() -> LanguageServer:
    """The language server, its features registered (``server.start_io()`` runs it)."""
    from importlib import metadata

    try:
        version = metadata.version("complaint-rules")
    except metadata.PackageNotFoundError:
        version = "unknown"
    server = LanguageServer("complaint-rules", version)
    outlines: dict[str, Outline] = {}  # uri -> the latest outline; `last_good` keeps the latest that loaded
    last_good: dict[str, Outline] = {}

    def refresh(ls: LanguageServer, uri: str) -> None:
        document = ls.workspace.get_text_document(uri)
        outline = analyse(document.source, uri)
        outlines[uri] = outline
        if outline.policy is not None:
            last_good[uri] = outline
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[
            *(_lsp_diagnostic(d, types.DiagnosticSeverity.Error) for d in outline.diagnostics),
            *(_lsp_diagnostic(d, types.DiagnosticSeverity.Warning) for d in outline.warnings),
        ]))  # fmt: skip

    def known(uri: str) -> Outline | None:
        return last_good.get(uri) or outlines.get(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        refresh(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        refresh(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        refresh(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover | None:
        outline = known(params.text_document.uri)
        text = ls.workspace.get_text_document(params.text_document.uri).source
        word = _word_at(text, params.position)
        found = outline.find(word) if outline is not None and word else None
        if found is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.detail))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: LanguageServer, params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        outline = known(uri)
        word = _word_at(ls.workspace.get_text_document(uri).source, params.position)
        found = outline.find(word) if outline is not None and word else None
        if found is None or found.span is None:
            return None
        span = locate(found.span, found.name) or found.span
        return types.Location(uri=_uri_of(span, uri), range=_range(span))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[" ", "{", ","]))
    def completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
        outline = known(params.text_document.uri)
        items = [types.CompletionItem(label=k, kind=types.CompletionItemKind.Keyword) for k in keywords()]
        if outline is not None:
            kinds = {"field": types.CompletionItemKind.Field, "unit": types.CompletionItemKind.Module,
                     "level": types.CompletionItemKind.EnumMember, "rule": types.CompletionItemKind.Function,
                     "clock": types.CompletionItemKind.Event}  # fmt: skip
            items += [types.CompletionItem(label=d.name, kind=kinds.get(d.kind), detail=d.kind)
                      for d in outline.declarations]  # fmt: skip
            items += [types.CompletionItem(label=m, kind=types.CompletionItemKind.EnumMember, detail="member")
                      for m in dict.fromkeys(outline.members())]  # fmt: skip
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: LanguageServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        uri = params.text_document.uri
        if _format_of(uri) != "dsl":
            return None  # YAML policies have no comment-keeping formatter yet
        text = ls.workspace.get_text_document(uri).source
        try:
            formatted = print_policy(dsl.parse(text, uri))
        except PolicyError:
            return None  # the diagnostics say why
        if formatted == text:
            return []
        lines = text.split("\n")
        whole = types.Range(types.Position(0, 0), types.Position(len(lines), 0))
        return [types.TextEdit(range=whole, new_text=formatted)]

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: LanguageServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        uri = params.text_document.uri
        outline = known(uri)
        if outline is None:
            return []
        here = _path(uri)
        kinds = {"field": types.SymbolKind.Field, "unit": types.SymbolKind.Module, "level": types.SymbolKind.EnumMember,
                 "rule": types.SymbolKind.Function, "clock": types.SymbolKind.Event}  # fmt: skip
        out = []
        for d in outline.declarations:
            if d.span is None or d.span.source is None:
                continue
            if here is not None and Path(d.span.source.name).resolve() != here.resolve():
                continue  # declared in the base policy, not in this document
            whole = _range(d.span)
            name = _range(locate(d.span, d.name) or d.span)
            out.append(types.DocumentSymbol(name=d.name, kind=kinds.get(d.kind, types.SymbolKind.Variable),
                                            range=whole, selection_range=name, detail=d.kind))  # fmt: skip
        return out

    return server


def main() -> None:
    """Run the server on stdin/stdout."""
    build_server().start_io()
