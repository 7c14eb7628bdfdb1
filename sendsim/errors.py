"""What sendsim says when it refuses: one line, `sendsim: WHERE: what is wrong; what is allowed`.

Every anticipated problem (a bad file, key, option or folder) is a `SendsimError`; the command
line prints its `line()` and exits with status 2 (`EXIT_REFUSED`). Anything else is a bug: the
command line writes the traceback to a log file and exits with status 70 (`EXIT_INTERNAL`,
EX_SOFTWARE in sysexits.h). `docs/reference/errors.md` lists every class below with an example; the tests
check those examples against what the code says.
"""

from __future__ import annotations

EXIT_REFUSED = 2
EXIT_INTERNAL = 70


class SendsimError(Exception):
    """A refusal: `where` (file, file and key, option, folder), `what` is wrong, what is
    `allowed` (or what to do). Subclasses name the class of problem for docs/reference/errors.md."""

    #: The class of problem, as docs/reference/errors.md names it.
    kind = "refused"

    def __init__(self, where: str, what: str, allowed: str = ""):
        self.where, self.what, self.allowed = str(where), str(what), str(allowed)
        super().__init__(self.line())

    def line(self) -> str:
        """The message without the `sendsim: ` prefix, on one line."""
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.allowed:
            text += f"; {self.allowed}"
        return " ".join(text.split())


class UsageError(SendsimError, ValueError):
    """A command-line option with a value outside what it allows."""
    kind = "option"


class InputError(SendsimError, ValueError):
    """A scenario, parameter, draws or data file that cannot be used as it is."""
    kind = "input"


class OutputError(SendsimError, FileExistsError):
    """An output path that sendsim may not write: outside its folder, not sendsim's own, of
    another kind, or not writable."""
    kind = "output"


class LockedError(SendsimError):
    """An output another sendsim process is writing."""
    kind = "locked"


class IntegrityError(SendsimError, ValueError):
    """Results that do not vouch for themselves: missing, unreadable, changed or from another
    experiment, format or version."""
    kind = "integrity"


class ResourceError(SendsimError):
    """A run that would need more memory or disk than the machine has."""
    kind = "resources"


__all__ = ["SendsimError", "UsageError", "InputError", "OutputError", "LockedError",
           "IntegrityError", "ResourceError", "EXIT_REFUSED", "EXIT_INTERNAL"]
