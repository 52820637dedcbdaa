import pytest
from django.db import connection

from tierline.testing.world import build_world


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # argon2 is slow on purpose; tests create many users. test_passwords checks the real setting.
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres_only"):
        request.getfixturevalue("transactional_db")
        if connection.vendor != "postgresql":
            pytest.skip("PostgreSQL-only behaviour: runs in the PostgreSQL pass")
