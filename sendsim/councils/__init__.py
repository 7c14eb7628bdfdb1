"""Parameter files for real councils, shipped with the package.

Each ``<name>.toml`` here is generated from the published statistics and the council's own
papers by `sendsim.calibration.builtin`, run by ``calibration/derive_<name>.py``
(``wiltshire.toml``, the default council, and ``isle_of_wight.toml``), and names the source of
every value in ``council.sources``. Edit the derivation, never the TOML.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from sendsim.parameters import ParameterError, Parameters

DEFAULT_COUNCIL = "wiltshire"


def available() -> list[str]:
    """Names of the councils shipped with the package, e.g. ['isle_of_wight', 'wiltshire']."""
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir()
                  if p.name.endswith(".toml"))


@functools.lru_cache(maxsize=None)
def _packaged(name: str) -> Parameters:
    ref = resources.files(__package__).joinpath(f"{name}.toml")
    if not ref.is_file():
        raise ParameterError([f"no council named '{name}' (shipped: {', '.join(available()) or 'none'}); "
                              "pass a path to a .toml file instead"])
    with resources.as_file(ref) as path:
        return Parameters.from_toml(path)


def default_parameters() -> Parameters:
    """Wiltshire, January 2023: the shipped ``wiltshire.toml``, loaded and validated."""
    return _packaged(DEFAULT_COUNCIL)


def load(name_or_path: str | Path) -> Parameters:
    """A shipped council by name ("wiltshire", any case) or a parameter file by path."""
    text = str(name_or_path)
    path = Path(text).expanduser()
    if isinstance(name_or_path, Path) or text.endswith(".toml") or path.exists() or "/" in text:
        return Parameters.from_toml(path)
    return _packaged(text.strip().lower())
