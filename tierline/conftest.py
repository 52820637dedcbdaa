import os

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


# Fixtures through which a test reaches the database under test.
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                     "live_server"}


def uses_database(item) -> bool:
    return bool(item.get_closest_marker("django_db") or item.get_closest_marker("postgres_only")
                or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    # Concurrency tests need committed data that other connections can see.
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.django_db(transaction=True))
    # The PostgreSQL pass repeats the tests that touch the database. Pure logic, and the CLI tests
    # that build their own throw-away SQLite installation, answer the same whatever the database
    # and already ran in the SQLite pass (TIERLINE_PG_ALL_TESTS=1 runs everything again).
    if connection.vendor == "postgresql" and os.environ.get("TIERLINE_PG_ALL_TESTS") != "1":
        kept = [item for item in items if uses_database(item)]
        if len(kept) != len(items):
            config.hook.pytest_deselected(items=[item for item in items if not uses_database(item)])
            items[:] = kept


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only behaviour: runs in the PostgreSQL pass")
