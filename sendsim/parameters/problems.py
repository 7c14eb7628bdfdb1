"""How a problem is told: `ParameterError`, which lists every problem, each naming its key, and
the words for a value that is not what its field allows."""

from __future__ import annotations

import math

from ..errors import InputError
from .values import NO_LIMIT, PROB


class ParameterError(InputError):
    """Parameters that cannot be used; `problems` lists every one, each naming its key.

    On the command line it is one line, the first problem with the file it is in and how many
    more there are (`sendsim check FILE` lists them all: `lines()`)."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = list(problems) or ["unusable parameters"]
        self.source = source
        more = len(self.problems) - 1
        hint = ""
        if more:
            hint = (f"and {more} more problem{'s' if more > 1 else ''}"
                    + (f" (sendsim check {source} lists them all)" if source else ""))
        first, _, allowed = self.problems[0].partition("; ")
        super().__init__(source or "parameters", first,
                         "; ".join(x for x in (allowed, hint) if x))

    def lines(self) -> list[str]:
        """Every problem on its own line, each naming the file."""
        where = self.source or "parameters"
        return [" ".join(f"{where}: {p}".split()) for p in self.problems]


def show_value(v) -> str:
    """A value as a message shows what it got: 'a table', 'a list', "str 'abc'", 'float nan'."""
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, (list, tuple)):
        return "a list"
    r = repr(v) if not isinstance(v, int) or abs(v) < 10**40 else "(a very long whole number)"
    return f"{type(v).__name__} {r[:40]}"


def shown_number(x) -> str:
    """A number as written, short: -1.0, 1e+12, inf, nan."""
    if isinstance(x, int):
        return str(x) if abs(x) < 10**15 else "a whole number of more than 15 digits"
    r = repr(x)
    return r if len(r) <= 12 or "e" in r or not math.isfinite(x) else f"{x:.12g}"


def _bound(x: float) -> str:
    """A range's end as the messages and the docs show it: 100000, 0.5, 1e10."""
    if float(x).is_integer():
        return str(int(x)) if abs(x) < 1e7 else f"{x:g}".replace("e+", "e")
    return repr(float(x))


def allowed_text(low: float, high: float, no_limit: bool = False) -> str:
    """'0 to 520'; with `no_limit`, '0 to 1e10, or inf (1e300) for no limit'."""
    return f"{_bound(low)} to {_bound(high)}" + (", or inf (1e300) for no limit" if no_limit else "")


def number_problem(x, low: float, high: float, no_limit: bool = False) -> str | None:
    """What is wrong with `x` as a number in [low, high] (None if nothing): not a number,
    not finite, or out of range, with what is allowed."""
    allowed = allowed_text(low, high, no_limit)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return f"expected a number, got {show_value(x)} (allowed: {allowed})"
    if no_limit and x in (math.inf, NO_LIMIT):
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return f"{shown_number(x)} is not a finite number (allowed: {allowed})"
    if low <= x <= high:
        return None
    if (low, high) == PROB:
        what = "is not a probability"
    elif x < 0 <= low:
        what = "is negative"
    else:
        what = "is out of range"
    return f"{shown_number(x)} {what} (allowed: {allowed})"
