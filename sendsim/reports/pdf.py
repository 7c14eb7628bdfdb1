"""Printing a report's HTML to an A4 PDF with headless Chromium (the browser the page is
tested in, so the PDF looks as the page prints). Chromium comes from the system's packages
(Debian/Ubuntu: ``apt-get install chromium``); nothing is downloaded at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sendsim.errors import SendsimError
from sendsim.folders import sweep, temp_name

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_VAR = "SENDSIM_CHROMIUM"


class PdfError(SendsimError, RuntimeError):
    """No PDF could be printed (no Chromium, or it failed)."""


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable: `explicit`, else $SENDSIM_CHROMIUM, else the first on PATH."""
    for name in ([explicit] if explicit else []) + [os.environ.get(ENV_VAR) or ""] + list(CANDIDATES):
        if name and (found := shutil.which(name)):
            return found
    raise PdfError("--out", "PDF output needs Chromium, and none was found (looked for "
                   f"${ENV_VAR}, {', '.join(CANDIDATES)})", "install it from the system's "
                   "packages (Debian/Ubuntu: apt-get install chromium), or write .html and "
                   "print it from a browser")


def chromium_flags(user_data_dir: str) -> list[str]:
    """Headless, offline, quiet: no first-run, no background networking, a throwaway profile."""
    flags = ["--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-quic",
             f"--user-data-dir={user_data_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")     # Chromium refuses to run as root with its sandbox
    return flags


def html_to_pdf(html: str, chromium: str | None = None, timeout: float = 120) -> bytes:
    """`html` printed to A4 PDF bytes (the page's own @page margins, no browser header or
    footer). Chromium's page, profile and PDF live in a folder of the system's temporary
    directory named for this process, removed when done; one left by a killed process is
    removed by the next PDF. Chromium is killed if this process dies."""
    exe = find_chromium(chromium)
    tmp_root = Path(tempfile.gettempdir())
    sweep(tmp_root)
    tmp = Path(tempfile.mkdtemp(prefix=temp_name("chromium") + "-", dir=tmp_root))
    try:
        page = tmp / "report.html"
        page.write_text(html, encoding="utf-8")
        target = tmp / "report.pdf"
        cmd = [exe, *chromium_flags(str(tmp / "profile")), "--no-pdf-header-footer",
               f"--print-to-pdf={target}", page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PdfError("--out", f"Chromium ({exe}) did not finish printing in "
                           f"{timeout:.0f} s", "try again, or write .html") from None
        data = target.read_bytes() if target.is_file() else b""
        if data[:5] != b"%PDF-":
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise PdfError("--out", f"Chromium ({exe}) wrote no PDF (exit {done.returncode}: "
                           + " | ".join(tail) + ")", "write .html and print it from a browser")
        return data
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: Chromium gets SIGKILL when sendsim dies, so a killed report leaves no browser."""
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except Exception:
        pass
