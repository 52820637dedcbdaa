"""Runtime pages for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.testing.attack import Public

ENTRIES = [
    # Probes for load balancers and orchestrators: they name failing jobs and parked-item counts,
    # never a tenant's data, and must answer without a session.
    Public("healthz", "liveness probe: 200 while the process is up"),
    Public("readyz", "readiness probe: 503 with the failing job's name while the worker needs an operator"),
]
