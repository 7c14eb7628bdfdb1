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
