"""Tests that need a service use it when present and skip with a reason when not — except
under TIERLINE_REQUIRE_SERVICES=1 (CI), where a missing service is a failure."""

import os

import pytest


def require_services() -> bool:
    return os.environ.get("TIERLINE_REQUIRE_SERVICES") == "1"


def missing(reason: str):
    if require_services():
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)
