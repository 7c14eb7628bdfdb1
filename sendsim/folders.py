"""Where sendsim may write, and how: confined, owned, one writer at a time, all or nothing.

Three promises, as git and SQLite make them:

- **Confined.** Names that become path components (scenario and council names) match
  `NAME_PATTERN`; every path is resolved and checked to lie inside its folder before anything
  is written (`inside`), so no name, `..` or symbolic link takes a write elsewhere.
- **Owned.** A folder sendsim writes carries a marker, `.sendsim` (JSON: marker format, kind,
  version), that only sendsim writes. `claim_folder` continues or (with `overwrite`) replaces
  only a folder with that marker and of the same kind, and never one holding files sendsim did
  not write; anything else is refused without a hint to overwrite it.
- **One writer.** `OutputLock` holds an operating-system lock (`filelock`) for a whole run; a
  second writer is refused with the holder's process id, host and start time. The kernel drops
  the lock when its process dies, however it dies, so a stale lock never blocks a later run.

Temporary files and folders are named `.sendsim-tmp-HOST-PID-…` (also `-staging-`, `-old-`)
beside what they become; they are removed on success and failure, and by the next run (`sweep`)
when their process is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from filelock import FileLock, Timeout

from sendsim import __version__
from sendsim.errors import LockedError, OutputError

#: A name that becomes a file or folder name: a letter or digit, then letters, digits, `_`,
#: `-` or `.`, at most `MAX_NAME` characters in all (so never `.`, `..`, a path or a hidden file).
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
MAX_NAME = 100
#: Names sendsim makes from a user's name (a plan's leave-one-out variants) may be longer.
MAX_DERIVED_NAME = 200
_NAME = re.compile(NAME_PATTERN + r"\Z")

#: The marker file in every folder sendsim writes, and its format.
MARKER = ".sendsim"
MARKER_FORMAT = 1
KINDS = ("experiment", "backtest", "calibration")
LOCK = ".sendsim.lock"
HOLDER = ".sendsim.lock.json"
TEMP_PREFIX = ".sendsim-"


class OutputExistsError(OutputError):
    """An output that exists and may not be replaced without --overwrite."""


# -- names and confinement -------------------------------------------------------------------

def check_name(name: str, what: str = "scenario name", where: str = "",
               longest: int = MAX_NAME) -> str:
    """`name`, if it is safe as one path component; else OutputError naming `where`."""
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > longest:
        shown = repr(name) if len(str(name)) <= 60 else repr(str(name)[:60]) + "..."
        raise OutputError(where or what, f"{what} {shown} cannot name a file",
                          f"allowed: 1 to {longest} letters, digits, '_', '-' or '.', starting "
                          "with a letter or digit (so no '/', '..', spaces or leading dot)")
    return name


def check_distinct(names: list[str], what: str = "scenario names") -> None:
    """Names that would collide as files on a case-insensitive drive (Windows, macOS, most
    shared drives) are refused."""
    seen: dict[str, str] = {}
    for n in names:
        if names.count(n) > 1:
            raise OutputError(what, f"{n!r} is given twice", "give every scenario its own "
                              "name (a scenario compared with itself needs a copy named apart)")
        other = seen.setdefault(n.casefold(), n)
        if other != n:
            raise OutputError(what, f"{other!r} and {n!r} would be the same file on a "
                              "case-insensitive drive", "give every scenario its own name")


def safe_stem(stem: str) -> str:
    """A file's stem made safe as a scenario name (`Wiltshire 2025` -> `Wiltshire_2025`)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._-")[:MAX_NAME]
    return name or "scenario"


def inside(folder: str | Path, part: str | Path) -> Path:
    """`folder / part`, if it lies inside `folder` once both are resolved (links followed);
    else OutputError. `part` is relative to `folder` (an absolute `part` is refused)."""
    root = Path(folder).resolve()
    full = (root / part).resolve()
    if Path(part).is_absolute() or (full != root and root not in full.parents):
        raise OutputError(str(part), f"would be written outside {folder}",
                          "every output stays inside the folder given to --out")
    return Path(folder) / part


# -- the marker and ownership -------------------------------------------------------------------

def marker(kind: str, **extra) -> dict:
    return {"sendsim_folder": MARKER_FORMAT, "kind": kind, "sendsim_version": __version__,
            "created": now(), **extra}


def read_marker(folder: str | Path) -> dict | None:
    """The folder's marker, or None if it has none (or one sendsim could not have written)."""
    path = Path(folder) / MARKER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") not in KINDS or "sendsim_folder" not in data:
        return None
    return data


def write_marker(folder: Path, kind: str, **extra) -> None:
    atomic_write(Path(folder) / MARKER, json.dumps(marker(kind, **extra), indent=2))


def _own_entry(name: str) -> bool:
    return name in (MARKER, LOCK, HOLDER) or name.startswith(TEMP_PREFIX)


def claim_folder(folder: str | Path, kind: str, overwrite: bool = False,
                 contents: tuple[str, ...] = (), option: str = "--out") -> str:
    """What may be done with `folder` as a `kind` output: "new" (absent, empty, or holding only
    sendsim's own lock and temporary files), "resume" (sendsim's, of this kind) or "replace"
    (the same with `overwrite`; nothing in it but `contents` and sendsim's own files).
    Everything else is refused, and nothing is written here."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{option} {folder}", "is a file, not a folder",
                          "give the name of a new folder, or of one sendsim wrote")
    if not folder.exists():
        writable_parent(folder, option)
        return "new"
    try:
        entries = [p.name for p in folder.iterdir()]
    except OSError as exc:
        raise OutputError(f"{option} {folder}", f"cannot be read ({exc.strerror})",
                          "give a folder you can read and write") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {folder}", "is not writable",
                          "give a folder you can write to")
    if all(_own_entry(e) for e in entries) and MARKER not in entries:
        return "new"
    found = read_marker(folder)
    if found is None:
        raise OutputError(f"{option} {folder}", "is not empty and was not written by sendsim",
                          "sendsim writes only into a new or empty folder, or one it wrote "
                          "itself; choose another folder")
    if found["kind"] != kind:
        raise OutputError(f"{option} {folder}", f"is a sendsim {found['kind']} folder, not "
                          f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} folder",
                          "choose another folder")
    if not overwrite:
        return "resume"
    foreign = sorted(e for e in entries if not _own_entry(e) and e not in contents)
    if foreign:
        raise OutputError(f"{option} {folder}", f"holds files sendsim did not write "
                          f"({', '.join(foreign[:5])}{'...' if len(foreign) > 5 else ''}), so "
                          "it will not be replaced", "move them out, or choose another folder")
    return "replace"


def clear_folder(folder: Path, contents: tuple[str, ...]) -> None:
    """Remove what sendsim wrote in `folder` (its `contents` and temporary files), keeping the
    lock of the run that clears it. Only after `claim_folder` said "replace"."""
    for p in Path(folder).iterdir():
        if p.name in (LOCK, HOLDER):
            continue
        if p.name in contents or p.name == MARKER or p.name.startswith(TEMP_PREFIX):
            _remove(p)


def writable_parent(path: Path, option: str = "--out") -> None:
    """Refuse a path whose nearest existing ancestor is a file or is not writable."""
    parent = Path(path).absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{option} {path}", f"{parent} is a file, not a folder",
                          "give a path inside a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}", f"{parent} is not writable",
                          "give a place you can write to")


# -- one writer at a time ----------------------------------------------------------------------

def lock_dir() -> Path:
    """Locks for outputs that are single files or are moved into place whole: in the system's
    temporary folder, so that a killed process leaves nothing beside its output."""
    d = Path(tempfile.gettempdir()) / "sendsim-locks"
    d.mkdir(exist_ok=True)
    return d


def lock_path_for(target: str | Path) -> Path:
    key = hashlib.sha256(str(Path(target).resolve()).encode()).hexdigest()[:24]
    return lock_dir() / f"{key}.lock"


class OutputLock:
    """An operating-system lock on one output for the length of a `with` block.

    `path` is the lock file (inside an experiment folder, or from `lock_path_for`); beside it a
    small JSON names the holder for the refusal message.
    """

    def __init__(self, path: str | Path, target: str | Path, what: str = "output"):
        self.path = Path(path)
        self.holder = self.path.with_name(self.path.name + ".json") if self.path.name != LOCK \
            else self.path.with_name(HOLDER)
        self.target, self.what = target, what
        # one lock object per file in a process, so a run that holds it may take it again
        self._lock = FileLock(str(self.path), timeout=0, thread_local=False, is_singleton=True)

    def __enter__(self) -> "OutputLock":
        try:
            self._lock.acquire()
        except Timeout:
            raise LockedError(str(self.target), f"another sendsim is writing this {self.what} "
                              f"({self._who()})", "wait for it to finish, or stop it, then "
                              "run again") from None
        if self._lock.lock_counter == 1:
            atomic_write(self.holder, json.dumps(
                {"pid": os.getpid(), "host": socket.gethostname(), "started": now(),
                 "command": " ".join(["sendsim", *sys.argv[1:]])[:500]}))
        return self

    def _who(self) -> str:
        try:
            h = json.loads(self.holder.read_text(encoding="utf-8"))
            return (f"process {h.get('pid')} on {h.get('host')}, started {h.get('started')}: "
                    f"{h.get('command', '')}")
        except (OSError, ValueError):
            return "a process that has not yet said who it is"

    def __exit__(self, *exc) -> None:
        try:
            if self._lock.lock_counter == 1:
                self.holder.unlink(missing_ok=True)
        finally:
            self._lock.release()


# -- writing whole ------------------------------------------------------------------------------

def temp_name(kind: str = "tmp") -> str:
    """A unique hidden name: `.sendsim-KIND-HOST-PID-RANDOM` (`sweep` reads host and pid)."""
    return f"{TEMP_PREFIX}{kind}-{_host()}-{os.getpid()}-{os.urandom(4).hex()}"


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write `path` whole: a temporary file beside it, flushed, then renamed over it."""
    path = Path(path)
    tmp = path.with_name(temp_name() + "-" + path.name[:40])
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def staging_dir(parent: Path) -> Path:
    """A new hidden folder beside an output, to be moved into place whole."""
    Path(parent).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=temp_name("staging") + "-", dir=parent))
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)        # as a folder made with mkdir would be, not mkdtemp's 0700
    return tmp


def move_into_place(staged: Path, target: Path) -> None:
    """Rename `staged` to `target`, replacing a `target` that the caller has checked is
    sendsim's: the old one is renamed aside first and removed only once the new one is in."""
    if target.exists() or target.is_symlink():
        old = target.with_name(temp_name("old") + "-" + target.name[:40])
        target.rename(old)
        try:
            staged.rename(target)
        except BaseException:
            old.rename(target)
            raise
        _remove(old)
    else:
        staged.rename(target)


def write_folder(out: Path, writers: dict, overwrite: bool = False) -> Path:
    """Write each file via `writers[name](path)` into a staging folder, then move it to `out`:
    a failure leaves nothing at `out` and an existing `out` untouched. An existing non-empty
    `out` is replaced only with `overwrite` (callers check it is sendsim's)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise OutputExistsError(str(out), "already exists and is not empty",
                                "choose another folder")
    tmp = staging_dir(out.parent)
    try:
        for name, write in writers.items():
            write(inside(tmp, name))
        move_into_place(tmp, out)
    finally:
        if tmp.exists():
            _remove(tmp)
    return out


def sweep(folder: str | Path, recursive: bool = False, all_hosts_pids: bool = False) -> int:
    """Remove sendsim's temporary files left in `folder` by processes that are gone (or, with
    `all_hosts_pids`, by anyone: for a caller that holds the folder's lock). Returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    found = folder.rglob(f"{TEMP_PREFIX}*") if recursive else folder.glob(f"{TEMP_PREFIX}*")
    removed = 0
    for p in list(found):
        if p.name in (MARKER, LOCK, HOLDER):
            continue
        parts = p.name[len(TEMP_PREFIX):].split("-")
        if len(parts) < 4 or not parts[2].isdigit():
            continue
        host, pid = parts[1], int(parts[2])
        if all_hosts_pids or (host == _host() and not pid_alive(pid)):
            _remove(p)
            removed += 1
    return removed


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:30] or "host"


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
