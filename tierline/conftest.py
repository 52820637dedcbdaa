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


def pytest_collection_modifyitems(items):
    # Concurrency tests need committed data that other connections can see.
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only behaviour: runs in the PostgreSQL pass")
