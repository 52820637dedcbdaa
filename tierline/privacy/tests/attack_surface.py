"""Privacy API for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.accounts.permissions import Perm
from tierline.testing.attack import Operation

ENTRIES = [
    Operation("post", "/api/v1/privacy/customers/{customer_id}/erase", Perm.CONFIGURE,
              lambda w, own: ({"customer_id": (w.customer if own else w.other_customer).pk}, None)),
]
