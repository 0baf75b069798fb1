from __future__ import annotations

import pytest

from act_bench.backends import Backend, shared_backend


@pytest.fixture(scope="session")
def smollm2_backend() -> Backend:
    """The embedded model, loaded once per session (converted on the first run ever, ~20 s)."""
    return shared_backend("smollm2")
