"""`tierline audit verify [--tenant CODE]`: walk the hash chains, report the first problem."""

from django.core.management.base import BaseCommand, CommandError

from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Audit-log tools. `verify` checks every tenant's event hash chain (or one tenant's)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify"])
        parser.add_argument("--tenant", help="tenant code; default: every tenant")

    def handle(self, *args, what, tenant=None, **options):
        tenants = Tenant.objects.order_by("code")
        if tenant:
            tenants = tenants.filter(code=tenant)
            if not tenants.exists():
                raise CommandError(f"no tenant with code {tenant!r}")
        broken = 0
        for t in tenants:
            problem = tenant_chain_problem(t.pk)
            count = Event.objects.filter(tenant=t).count()
            if problem is None:
                self.stdout.write(f"{t.code}: {count} events, chain intact")
            else:
                broken += 1
                self.stdout.write(f"{t.code}: BROKEN at event #{problem.seq}: {problem.kind} — {problem.detail}")
        if broken:
            raise CommandError(f"{broken} tenant chain(s) failed verification")
