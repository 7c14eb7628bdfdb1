"""The architecture holds: the import contracts in pyproject.toml ([tool.importlinter]).

Dependencies point one way (engine <- experiment <- reports and backtest <- cli), the engine
imports nothing of files, the command line or clusters, and no pathway stage reaches back into
the model that runs it. import-linter follows function-level imports too, so a cycle cannot be
hidden inside a function.
"""

from __future__ import annotations

import pathlib
import tomllib

from importlinter.cli import lint_imports

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def test_every_import_contract_is_kept(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out


def test_the_contracts_name_every_top_level_part_of_the_package():
    """A new top-level package must be placed in the layers, not slip outside them."""
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]
    layered = {name.strip() for layer in config["contracts"][0]["layers"] for name in layer.split("|")}
    package = ROOT / "sendsim"
    parts = {f"sendsim.{p.name}" for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    parts |= {f"sendsim.{p.stem}" for p in package.glob("*.py")
              if p.stem not in ("__init__", "__main__")}
    assert parts - layered == set(), f"not in any layer: {sorted(parts - layered)}"
