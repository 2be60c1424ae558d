"""``complaint-rules completion bash|zsh|fish``: print a shell completion script.

The script completes the sub-commands, each sub-command's options and the values of options with
fixed choices, and file names everywhere else. It is generated from the command's own parser, so it
always matches the installed version.
"""

from __future__ import annotations

import argparse
import shlex
import sys

SHELLS = ("bash", "zsh", "fish")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("completion", help="print a shell completion script", description=__doc__)
    p.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    p.set_defaults(func=run)


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[tuple[list[str], tuple[str, ...] | None, bool, str]]:
    """(option strings, fixed choices, whether it takes a value, help) of each option of a parser."""
    found = []
    for action in parser._actions:
        if not action.option_strings:
            continue
        choices = tuple(str(c) for c in action.choices) if action.choices else None
        found.append((list(action.option_strings), choices, action.nargs != 0, action.help or ""))
    return found


def _positional_choices(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    for action in parser._actions:
        if not action.option_strings and action.choices and not isinstance(action, argparse._SubParsersAction):
            return tuple(str(c) for c in action.choices)
    return ()


def bash(parser: argparse.ArgumentParser) -> str:
    """The bash script (zsh runs it too, through ``bashcompinit``)."""
    commands = _commands(parser)
    cases = []
    for name, sub in commands.items():
        options = [o for strings, _, _, _ in _options(sub) for o in strings]
        values = [
            f"            {'|'.join(strings)}) COMPREPLY=($(compgen -W {shlex.quote(' '.join(choices))} -- \"$cur\")); return;;"
            for strings, choices, _, _ in _options(sub)
            if choices
        ]
        words = _positional_choices(sub)
        cases.append(
            f"        {name})\n"
            f"            case \"$prev\" in\n" + "\n".join(values) + ("\n" if values else "") + "            esac\n"
            f"            if [[ \"$cur\" == -* ]]; then\n"
            f"                COMPREPLY=($(compgen -W {shlex.quote(' '.join(options))} -- \"$cur\"))\n"
            + (f"            elif [[ $COMP_CWORD -eq 2 ]]; then\n"
               f"                COMPREPLY=($(compgen -W {shlex.quote(' '.join(words))} -- \"$cur\"))\n" if words else "")
            + "            else\n"
            "                COMPREPLY=($(compgen -f -- \"$cur\"))\n"
            "            fi;;"
        )  # fmt: skip
    top = " ".join([*commands, "--help", "--version"])
    return (
        "# bash completion for complaint-rules (complaint-rules completion bash)\n"
        "_complaint_rules() {\n"
        "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
        "    if [[ $COMP_CWORD -eq 1 ]]; then\n"
        f"        COMPREPLY=($(compgen -W {shlex.quote(top)} -- \"$cur\"))\n"
        "        return\n"
        "    fi\n"
        "    case \"${COMP_WORDS[1]}\" in\n" + "\n".join(cases) + "\n    esac\n"
        "}\n"
        "complete -o filenames -F _complaint_rules complaint-rules\n"
    )


def zsh(parser: argparse.ArgumentParser) -> str:
    """The zsh script: the bash one, through zsh's ``bashcompinit``."""
    return (
        "#compdef complaint-rules\n"
        "# zsh completion for complaint-rules (complaint-rules completion zsh)\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + bash(parser).split("\n", 1)[1]
    )


def _fish_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(parser: argparse.ArgumentParser) -> str:
    """The fish script: one ``complete`` line per sub-command and option."""
    commands = _commands(parser)
    names = " ".join(commands)
    lines = ["# fish completion for complaint-rules (complaint-rules completion fish)",
             "complete -c complaint-rules -f -n '__fish_use_subcommand' -l version -d 'show the version'"]  # fmt: skip
    for name, sub in commands.items():
        lines.append(f"complete -c complaint-rules -f -n '__fish_use_subcommand' -a {name} "
                     f"-d {_fish_text(_summary(parser, name))}")  # fmt: skip
        when = f"'__fish_seen_subcommand_from {name}'"
        for strings, choices, takes_value, text in _options(sub):
            flags = " ".join(f"-l {s[2:]}" if s.startswith("--") else f"-s {s[1:]}" for s in strings)
            extra = f" -x -a {_fish_text(' '.join(choices))}" if choices else (" -r" if takes_value else "")
            lines.append(f"complete -c complaint-rules -n {when} {flags}{extra} -d {_fish_text(text[:60])}")
        words = _positional_choices(sub)
        if words:
            lines.append(f"complete -c complaint-rules -f -n {when} -a {_fish_text(' '.join(words))}")
    assert names
    return "\n".join(lines) + "\n"


def _summary(parser: argparse.ArgumentParser, name: str) -> str:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or name
    return name


def run(args: argparse.Namespace) -> int:
    from . import build_parser

    sys.stdout.write({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](build_parser()))
    return 0
