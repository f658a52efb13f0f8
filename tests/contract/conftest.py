from __future__ import annotations

import pytest

from tests.contract.backends import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    """Parametrises a contract test over every backend: use with backends.opened()."""
    return str(request.param)
