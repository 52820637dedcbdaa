"""Template context: whether the signed-in person may open the configuration screens (the nav link)."""

from tierline.accounts.permissions import Perm, role_allows
from tierline.tenancy.scoping import roles_of


def can_configure(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_configure": False}
    # roles_of is cached on the user for the request, so the nav costs no extra query on most pages.
    return {"can_configure": any(role_allows(role, Perm.CONFIGURE) for role in roles_of(user).values())}
