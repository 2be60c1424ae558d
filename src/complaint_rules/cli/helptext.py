"""``--help`` text: each command's docstring without its markup, and examples to copy."""

from __future__ import annotations

import argparse
import re

# command -> (example, what it does); every example is a command that works from the repository's root.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "check": (
        ("complaint-rules check policies/", "check every policy below a directory"),
        ("complaint-rules check -q examples/dealer.policy", "print only problems"),
        ("cat examples/dealer.policy | complaint-rules check -", "check a policy read from standard input"),
    ),
    "fmt": (
        ("complaint-rules fmt --check examples/", "exit 1 if a file is not canonical; change nothing"),
        ("complaint-rules fmt --diff examples/dealer.policy", "show what formatting would change"),
        ("complaint-rules fmt - < examples/dealer.policy", "format standard input to standard output"),
    ),
    "convert": (
        ("complaint-rules convert examples/dealer.policy --to yaml", "the policy in YAML"),
        ("complaint-rules convert examples/dealer.policy --to yaml -o dealer.yaml", "write the YAML to a file"),
        ("complaint-rules convert - --from yaml --to dsl < dealer.yaml", "convert standard input"),
    ),
    "schema": (
        ("complaint-rules schema -o policy.schema.json", "write the JSON Schema for an editor"),
    ),
    "dump": (
        ("complaint-rules dump resolved examples/dealer-branch.policy", "an overlay with its base applied"),
        ("complaint-rules dump ir examples/dealer.policy", "the IR as JSON"),
    ),
    "eval": (
        ("complaint-rules eval examples/dealer.policy examples/complaints.jsonl -o out.jsonl",
         "decide every record; bad rows go to out.errors.jsonl"),
        ("complaint-rules eval policies/finance/cfpb-bank.policy examples/cfpb_complaints_sample.csv "
         "--columns policies/finance/cfpb-columns.json", "decide the rows of a CSV file"),
    ),
    "explain": (
        ("complaint-rules explain examples/dealer.policy examples/record.json", "why a record got its decision"),
    ),
    "agenda": (
        ("complaint-rules agenda examples/lifecycle.policy examples/queue.jsonl --now 2026-12-01T17:00+08:00",
         "what must happen now or soon over a queue of open complaints, most urgent first"),
    ),
    "log": (
        ("complaint-rules log examples/dealer.policy examples/complaints.jsonl --to decisions.sqlite",
         "decide every record and keep each decision in a SQLite decision log"),
    ),
    "replay": (
        ("complaint-rules replay decisions.sqlite --policy examples/dealer-branch.policy",
         "decide the logged inputs again under another policy and list every difference"),
    ),
    "test": (
        ("complaint-rules test --coverage policies/", "run the embedded tests and report rule coverage"),
    ),
    "prove": (
        ("complaint-rules prove policies/retail/mall.policy", "prove every complaint is classified and routed"),
    ),
    "diff": (
        ("complaint-rules diff examples/dealer.policy examples/dealer-branch.policy", "what an overlay changes"),
        ("complaint-rules diff HEAD~1:policies/retail/mall.policy policies/retail/mall.policy",
         "what the working copy changes since the last commit"),
    ),
    "calendar": (
        ("complaint-rules calendar CN", "which years China's calendar knows, and from where"),
    ),
    "lsp": (
        ("complaint-rules lsp", "run the language server on stdin/stdout (an editor starts it)"),
    ),
    "completion": (
        ("complaint-rules completion bash > ~/.local/share/bash-completion/completions/complaint-rules",
         "install bash completion"),
        ("complaint-rules completion zsh > ~/.zfunc/_complaint-rules", "install zsh completion"),
        ("complaint-rules completion fish > ~/.config/fish/completions/complaint-rules.fish",
         "install fish completion"),
    ),
}

_LITERAL = re.compile(r"``([^`]*)``")
_ROLE = re.compile(r":(?:func|class|meth|attr|data|mod):`~?([^`]*)`")
_USAGE = re.compile(r"^``[^`]*``:\s*")


def plain(doc: str | None) -> str:
    """A module docstring as help text: no ``literal`` or :role:`markup`; the usage line is argparse's own."""
    if not doc:
        return ""
    text = _USAGE.sub("", doc.strip(), count=1)
    text = _ROLE.sub(lambda m: m.group(1).rpartition(".")[2], _LITERAL.sub(r"\1", text))
    return text[:1].upper() + text[1:]


def examples(command: str) -> str | None:
    """The ``examples:`` section of a command's help."""
    found = EXAMPLES.get(command)
    if not found:
        return None
    lines = ["examples:"]
    for example, what in found:
        lines.append(f"  {example}")
        lines.append(f"      {what}")
    return "\n".join(lines)


def finish(parser: argparse.ArgumentParser, command: str) -> None:
    """Give a sub-command's parser its plain description and its examples."""
    parser.description = plain(parser.description)
    parser.epilog = examples(command)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
