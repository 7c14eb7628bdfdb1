import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from small_council import small_council  # noqa: E402

from sendsim.parameters import Parameters  # noqa: E402


@pytest.fixture
def council_dict():
    return small_council()


@pytest.fixture
def params():
    return Parameters.from_dict(small_council())


def shared_data_dir():
    """The published statistics: $SENDSIM_DATA, else ../shared/data beside the repository."""
    import os
    env = os.environ.get("SENDSIM_DATA")
    candidates = ([Path(env)] if env else []) + [Path(__file__).resolve().parents[2] / "shared" / "data"]
    return next((p for p in candidates if p.is_dir()), None)


@pytest.fixture(scope="session")
def shared_data():
    path = shared_data_dir()
    if path is None:
        pytest.skip("shared data not available: no ../shared/data beside the repository and "
                    "SENDSIM_DATA unset")
    return path


def pytest_collection_modifyitems(config, items):
    """Every test that reads the published statistics carries the `shared_data` marker, so
    `pytest -m "not shared_data"` runs the tests that must always run."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)
