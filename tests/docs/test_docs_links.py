"""The documentation's links and paths resolve, and its index is complete.

- every relative link and image in docs/**/*.md and README.md names a file or folder that
  exists, and a `#anchor` on a link to a page names one of that page's headings;
- every page in docs/ is listed in docs/README.md, which has the four sections (tutorial,
  how-to guides, reference, background), and every page sits in one of their folders;
- every path `docs/...` written in the repository's own text (README, docs, the package,
  tests, experiments, benchmarks, calibration scripts; not the CHANGELOG, which is history)
  names a file or folder that exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INDEX = DOCS / "README.md"
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]
SECTIONS = {"tutorial": "Tutorial", "how-to": "How-to guides", "reference": "Reference",
            "background": "Background"}

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`+[^`\n]*`+")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def prose(text: str) -> str:
    """The text without fenced blocks and inline code, where link syntax is only an example."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(path: Path) -> list[str]:
    return LINK.findall(prose(path.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but `-` and `_` dropped,
    spaces to hyphens."""
    text = re.sub(r"`|\*\*|\*", "", heading.strip()).lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def page_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):    # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / unquote(file_part)).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: {page_id(dest)} has no heading #{anchor}")
        elif ROOT not in dest.parents and dest != ROOT:
            broken.append(f"{target}: outside the repository")
    assert not broken, f"{page_id(page)}: broken links:\n" + "\n".join(broken)


def test_pages_have_links():
    """The checker finds links at all (a regex that matched nothing would pass every page)."""
    assert len(links(INDEX)) >= 15
    assert "../reference/parameters.md" in links(DOCS / "tutorial" / "first-scenario.md")


def test_every_page_is_in_the_index_and_in_a_section():
    listed = {(INDEX.parent / t.partition("#")[0]).resolve() for t in links(INDEX)}
    pages = [p for p in DOCS.rglob("*.md") if p != INDEX]
    assert pages
    missing = [page_id(p) for p in pages if p.resolve() not in listed]
    assert not missing, f"pages not listed in docs/README.md: {missing}"
    outside = [page_id(p) for p in pages if p.relative_to(DOCS).parts[0] not in SECTIONS]
    assert not outside, f"pages outside tutorial/, how-to/, reference/, background/: {outside}"
    headings = re.findall(r"^## (.+?)\s*$", INDEX.read_text(encoding="utf-8"), re.M)
    assert headings == list(SECTIONS.values())


def test_the_readme_points_to_the_four_sections():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for folder in SECTIONS:
        assert f"(docs/README.md#{slug(SECTIONS[folder])})" in text or f"(docs/{folder}/" in text, folder
    assert "(docs/README.md)" in text


# -- `docs/...` paths named anywhere ----------------------------------------------------------

TEXT_FILES = ["README.md", "docs/**/*.md", "docs/**/*.py", "sendsim/**/*.py", "tests/**/*.py",
              "experiments/**/*", "benchmarks/**/*", "calibration/**/*", "pyproject.toml"]
DOCS_PATH = re.compile(r"(?<![\w./-])docs/[\w./-]*[\w/]")
#: Known stale paths in files this branch must not edit (being changed on another branch):
#: (file, path). Remove an entry once its file is fixed.
KNOWN_STALE: set[tuple[str, str]] = set()


def _text_files() -> list[Path]:
    seen = set()
    for pattern in TEXT_FILES:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file() and path.suffix in {".md", ".py", ".toml", ".txt", ".cfg", ""} \
                    and "__pycache__" not in path.parts and path not in seen \
                    and path != Path(__file__).resolve():   # this file names stale paths
                seen.add(path)
                yield path


def _named(pattern: re.Pattern):
    """(file the text is in, path found) for every match of `pattern` in the repository's text."""
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for found in pattern.findall(text):
            yield path, found


def test_every_docs_path_named_in_the_repository_exists():
    stale = []
    for path, found in _named(DOCS_PATH):
        name = found.rstrip("/.")
        if "*" in name or "<" in name:
            continue
        if not (ROOT / name).exists() and (page_id(path), name) not in KNOWN_STALE:
            stale.append(f"{page_id(path)}: {name}")
    assert not stale, "paths under docs/ that do not exist:\n" + "\n".join(sorted(set(stale)))


# -- the README's map of the package ------------------------------------------------------------

def _where_things_are() -> list[tuple[list[str], str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def test_the_readme_map_names_only_files_that_exist():
    """Every path in the first column exists; every `name.py` in the second is a file in the
    row's folder (or its `pathway/`), so the map cannot drift from the layout."""
    rows = _where_things_are()
    assert len(rows) > 10
    missing = []
    for paths, what in rows:
        for path in paths:
            if not (ROOT / path).exists():
                missing.append(path)
        folders = [ROOT / p for p in paths if (ROOT / p).is_dir()]
        for name in re.findall(r"`([\w/]+\.py)`", what):
            if "/" in name:          # a path from the repository's root
                if not (ROOT / name).exists():
                    missing.append(name)
                continue
            if folders and not any((f / name).exists() or (f / "pathway" / name).exists()
                                   for f in folders):
                missing.append(f"{paths[0]}{name}")
    assert not missing, "README 'Where things are' names what does not exist: " + ", ".join(missing)


def test_the_readme_map_covers_every_part_of_the_package():
    named = {p.rstrip("/") for paths, _ in _where_things_are() for p in paths}
    parts = {f"sendsim/{p.name}" for p in (ROOT / "sendsim").iterdir()
             if p.name != "__pycache__" and not p.name.startswith(".") and p.name != "__init__.py"}
    assert parts - named == set()


# -- `sendsim/...` module paths named anywhere -------------------------------------------------

PACKAGE_PATH = re.compile(r"(?<![\w./-])sendsim/[\w/]*\.(?:py|toml)\b")
#: Paths named as history on purpose: (file, path).
NAMED_AS_HISTORY: set[tuple[str, str]] = {
    ("tests/parameters/test_layout.py", "sendsim/parameters.py"),   # "before it became a package"
}


def test_every_package_path_named_in_the_repository_exists():
    """A module moved (the engine's second edition moved most of them) leaves no page, docstring
    or script naming where it used to be."""
    stale, seen = [], 0
    for path, name in _named(PACKAGE_PATH):
        seen += 1
        if not (ROOT / name).exists() and (page_id(path), name) not in NAMED_AS_HISTORY:
            stale.append(f"{page_id(path)}: {name}")
    assert seen > 20                 # the pattern finds paths at all
    assert not stale, "package paths that do not exist:\n" + "\n".join(sorted(set(stale)))
