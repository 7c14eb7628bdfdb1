"""docs/reference/command-line.md lists every command and every option, and nothing else.

Each command has a section headed `sendsim NAME`, holding a table whose first column names each
of the command's arguments (an option by its flag, with its metavar or choices; a positional
argument by its metavar); the meanings are the page's own.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from sendsim.cli import build_parser

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "command-line.md"
TEXT = PAGE.read_text(encoding="utf-8")


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return dict(parser._subparsers._group_actions[0].choices)


def sections() -> dict[str, str]:
    parts = re.split(r"^## `sendsim (\w+)`\s*$", TEXT, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def documented(section: str) -> list[str]:
    """The first word of the first cell of each row of the section's option table."""
    names = []
    for line in section.splitlines():
        m = re.match(r"^\| `([^`\s]+)", line)
        if m:
            names.append(m.group(1))
    return names


def arguments(parser: argparse.ArgumentParser) -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        out.append(action.option_strings[0] if action.option_strings
                   else (action.metavar or action.dest).upper())
    return out


def test_every_command_has_a_section_in_order():
    assert list(sections()) == list(commands())


@pytest.mark.parametrize("name", list(commands()))
def test_every_option_and_only_those(name):
    shown = documented(sections()[name])
    expected = arguments(commands()[name])
    assert len(shown) == len(set(shown)), f"sendsim {name}: an option listed twice"
    assert [s.upper() if not s.startswith("-") else s for s in shown] == expected, (
        f"sendsim {name}: the page lists {shown}, the command has {expected}")


@pytest.mark.parametrize("name", list(commands()))
def test_defaults_shown_are_the_parsers(name):
    """A `(default N)` the page gives for an option is the parser's default."""
    parser = commands()[name]
    by_flag = {a.option_strings[0]: a for a in parser._actions if a.option_strings}
    for line in sections()[name].splitlines():
        m = re.match(r"^\| `(--[\w-]+)[^|]*\| .*?\(default ([0-9][0-9.]*)\)", line)
        if m:
            flag, shown = m.groups()
            assert float(by_flag[flag].default) == float(shown), f"sendsim {name} {flag}"


@pytest.mark.parametrize("name", list(commands()))
def test_required_options_say_so(name):
    parser = commands()[name]
    required = {a.option_strings[0] for a in parser._actions if a.option_strings and a.required}
    for line in sections()[name].splitlines():
        m = re.match(r"^\| `(--[\w-]+)", line)
        if m:
            assert (m.group(1) in required) == line.rstrip().endswith("required |"), \
                f"sendsim {name} {m.group(1)}: the page and the parser disagree on 'required'"
