from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.harness import Harness


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    from tests.support.harness import make_harness

    harness = await make_harness(tmp_path)
    try:
        yield harness
    finally:
        await harness.close()
