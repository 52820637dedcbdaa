import pytest
from django.core.cache import cache

from tierline.security.twofactor import POLICY_CACHE_KEY


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    # The policy cache outlives a test's rolled-back database: never let one test's policy leak.
    cache.delete(POLICY_CACHE_KEY)
    yield
    cache.delete(POLICY_CACHE_KEY)
