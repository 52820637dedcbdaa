"""`tierline audit …`: audit-log tools.

    verify [--tenant CODE]                walk the hash chains, report the first tampered event
    bundle REF -o FILE                    signed evidence bundle of one escalation
    export REF… | --tenant CODE [filters] -o FILE   several escalations' bundles in one signed zip
    check-bundle FILE [--public-key PEM]  check a bundle or export (no database needed)
    public-key [-o FILE]                  the installation's evidence-signing public key
"""

import datetime as dt
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tierline.audit import bundle_check, signing
from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.core.actors import Actor
from tierline.core.errors import DomainError
from tierline.escalations.models import Escalation
from tierline.reports import evidence
from tierline.tenancy.models import Tenant


def _date(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}")
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Audit-log tools: verify, bundle, export, check-bundle, public-key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        verify = sub.add_parser("verify", help="check every tenant's event hash chain (or one tenant's)")
        verify.add_argument("--tenant", help="tenant code; default: every tenant")
        one = sub.add_parser("bundle", help="signed evidence bundle of one escalation")
        one.add_argument("reference")
        one.add_argument("-o", "--output", required=True)
        many = sub.add_parser("export", help="evidence bundles of chosen escalations in one zip")
        many.add_argument("references", nargs="*")
        many.add_argument("--tenant", help="choose by tenant code (with the filters below)")
        many.add_argument("--status", action="append", help="repeatable")
        many.add_argument("--created-after", type=_date)
        many.add_argument("--created-before", type=_date)
        many.add_argument("-o", "--output", required=True)
        check = sub.add_parser("check-bundle", help="check a bundle or export")
        check.add_argument("file")
        check.add_argument("--public-key")
        key = sub.add_parser("public-key", help="print (or write) the evidence-signing public key")
        key.add_argument("-o", "--output")

    def handle(self, *args, what, **o):
        return getattr(self, f"do_{what.replace('-', '_')}")(**o)

    def do_verify(self, tenant=None, **_):
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

    def _write(self, output: str, data: bytes, what: str) -> None:
        Path(output).write_bytes(data)
        self.stdout.write(f"{what} written to {output} ({len(data)} bytes, key {signing.fingerprint()})")

    def do_bundle(self, reference, output, **_):
        actor = Actor.system("cli:audit-bundle")
        try:
            esc = evidence.select(actor, [reference])[0]
        except DomainError as exc:
            raise CommandError(exc.message)
        self._write(output, evidence.bundle(esc, actor, timezone.now()), f"evidence bundle of {esc.reference}")

    def do_export(self, references, output, tenant=None, status=None, created_after=None, created_before=None, **_):
        actor = Actor.system("cli:audit-export")
        if references and tenant:
            raise CommandError("give references or --tenant with filters, not both")
        if tenant:
            qs = Escalation.objects.filter(tenant__code=tenant)
            if not Tenant.objects.filter(code=tenant).exists():
                raise CommandError(f"no tenant with code {tenant!r}")
            if status:
                qs = qs.filter(status__in=status)
            if created_after:
                qs = qs.filter(created_at__gte=created_after)
            if created_before:
                qs = qs.filter(created_at__lt=created_before)
            references = list(qs.order_by("id").values_list("reference", flat=True)[:evidence.MAX_EXPORT + 1])
        try:
            chosen = evidence.select(actor, references)
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.fields or ''}".strip())
        self._write(output, evidence.export(chosen, actor, timezone.now()), f"export of {len(chosen)} escalations")

    def do_check_bundle(self, file, public_key=None, **_):
        code = bundle_check.main([file] + (["--public-key", public_key] if public_key else []))
        if code:
            sys.stdout.flush()
            raise CommandError("the bundle did not pass")

    def do_public_key(self, output=None, **_):
        pem = signing.public_pem()
        if output:
            self._write(output, pem, "public key")
        else:
            self.stdout.write(pem.decode().strip())
            self.stdout.write(f"key id {signing.fingerprint()}")
