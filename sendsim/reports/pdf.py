"""Printing a report's HTML to an A4 PDF with headless Chromium (the browser the page is
tested in, so the PDF looks as the page prints). Chromium comes from the system's packages
(Debian/Ubuntu: ``apt-get install chromium``); nothing is downloaded at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_VAR = "SENDSIM_CHROMIUM"


class PdfError(RuntimeError):
    pass


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable: `explicit`, else $SENDSIM_CHROMIUM, else the first on PATH."""
    for name in ([explicit] if explicit else []) + [os.environ.get(ENV_VAR) or ""] + list(CANDIDATES):
        if name and (found := shutil.which(name)):
            return found
    raise PdfError("PDF output needs Chromium, and none was found (looked for "
                   f"${ENV_VAR}, {', '.join(CANDIDATES)}). Install it from the system's "
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


def html_to_pdf(html: str, out: Path, chromium: str | None = None, timeout: float = 120) -> Path:
    """Print `html` to `out` (A4, the page's own @page margins, no browser header or footer)."""
    exe = find_chromium(chromium)
    with tempfile.TemporaryDirectory(prefix="sendsim-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        cmd = [exe, *chromium_flags(str(Path(tmp) / "profile")), "--no-pdf-header-footer",
               f"--print-to-pdf={target}", page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium ({exe}) did not finish printing in {timeout:.0f} s") from None
        if not target.is_file() or target.read_bytes()[:5] != b"%PDF-":
            tail = (done.stderr or "").strip().splitlines()[-5:]
            raise PdfError(f"Chromium ({exe}) wrote no PDF (exit {done.returncode}): "
                           + " | ".join(tail))
        shutil.move(str(target), out)
    return out
