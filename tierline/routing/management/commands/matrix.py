"""`tierline matrix export|import|dry-run`: the escalation matrix from the shell.

    tierline matrix export --tenant ACME [--matrix-version N]   YAML to stdout
    tierline matrix import --tenant ACME FILE [--publish]        validate, save a draft (and publish it)
    tierline matrix dry-run --tenant ACME --json '{"type": …}'   where would it go, and why (JSON)
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tierline.core.actors import Actor
from tierline.core.checks import choice
from tierline.core.errors import DomainError
from tierline.escalations.choices import Channel, EscalationType, Priority
from tierline.routing import services
from tierline.tenancy.models import Customer, Team, Tenant

DRY_RUN_KEYS = {"type", "priority", "title", "description", "customer_tier", "channel", "custom_fields", "team",
                "customer"}


class Command(BaseCommand):
    help = "Escalation matrix tools: export (YAML), import (draft, optionally --publish), dry-run (JSON)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # `matrix import --tenant ACME FILE`: the file comes after the option, so positionals and
        # options must be parsed intermixed.
        parser.parse_args = parser.parse_intermixed_args
        return parser

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["export", "import", "dry-run"])
        parser.add_argument("file", nargs="?", help="import: the YAML file ('-' for stdin)")
        parser.add_argument("--tenant", required=True, help="tenant code, e.g. ACME")
        parser.add_argument("--matrix-version", type=int, dest="matrix_version", help="export: a version number")
        parser.add_argument("--publish", action="store_true", help="import: publish the draft at once")
        parser.add_argument("--note", default="", help="import: a note kept with the version")
        parser.add_argument("--json", dest="case", help='dry-run: the case, e.g. {"type": "billing", …}')

    def handle(self, *args, what, file=None, tenant, matrix_version=None, publish=False, note="", case=None,
               **options):
        found = Tenant.objects.filter(code=tenant).first()
        if found is None:
            raise CommandError(f"no tenant with code {tenant!r}")
        actor, now = Actor.system("cli:matrix"), timezone.now()
        try:
            if what == "export":
                self.stdout.write(services.export_yaml(found, matrix_version, actor=actor, now=now), ending="")
            elif what == "import":
                self._import(found, file, publish=publish, note=note, actor=actor, now=now)
            else:
                self._dry_run(found, case, actor=actor, now=now)
        except DomainError as exc:
            detail = "".join(f"\n  {k}: {v}" for k, v in exc.fields.items() if k not in ("line", "column", "yaml"))
            raise CommandError(f"{exc.message}{detail}")

    def _import(self, tenant, file, *, publish, note, actor, now):
        if not file:
            raise CommandError("import needs the YAML file (or '-' for stdin)")
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}")
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text")
        version, warnings = services.import_draft(tenant, text, actor=actor, now=now, note=note)
        for w in warnings:
            self.stderr.write(f"warning ({w['code']}): {', '.join(w['rules'])}: {w['message']}")
        if publish:
            services.publish(tenant, version.number, actor=actor, now=now)
            self.stdout.write(f"{tenant.code}: matrix version {version.number} imported and published "
                              f"({len(version.spec['rules'])} rules)")
        else:
            self.stdout.write(f"{tenant.code}: matrix version {version.number} imported as a draft "
                              f"({len(version.spec['rules'])} rules); publish it to put it in force")

    def _dry_run(self, tenant, case, *, actor, now):
        if not case:
            raise CommandError("dry-run needs --json with the case")
        try:
            data = json.loads(case)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--json is not valid JSON: {exc}")
        if not isinstance(data, dict):
            raise CommandError("--json must be an object")
        unknown = set(data) - DRY_RUN_KEYS
        if unknown:
            raise CommandError(f"--json: unknown keys {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(DRY_RUN_KEYS))})")
        missing = {"type", "priority", "title", "channel"} - set(data)
        if missing:
            raise CommandError(f"--json: missing {', '.join(sorted(missing))}")
        team = None
        if data.get("team") is not None:
            team = Team.objects.filter(tenant=tenant, name__iexact=str(data["team"])).first()
            if team is None:
                raise CommandError(f"no team named {data['team']!r} in {tenant.code}")
        customer = None
        if data.get("customer") is not None:
            customer = Customer.objects.filter(tenant=tenant, pk=data["customer"]).first()
            if customer is None:
                raise CommandError(f"no customer {data['customer']!r} in {tenant.code}")

        choice(data["type"], EscalationType, "type")
        choice(data["priority"], Priority, "priority")
        choice(data["channel"], Channel, "channel")
        out = services.dry_run(tenant, actor=actor, now=now, type=data["type"], priority=data["priority"],
                               title=str(data["title"]), description=str(data.get("description", "")),
                               customer=customer, customer_tier=data.get("customer_tier"), channel=data["channel"],
                               custom_fields=data.get("custom_fields") or {}, team=team)
        result = {"rule": out["rule"], "level": out["level"], "team": out["team"]["name"] if out["team"] else None,
                  "priority": out["priority"], "sla_policy": out["sla_policy"]["name"] if out["sla_policy"] else None,
                  "near_misses": out["near_misses"], "reasons": out["reasons"], "trigger": out["trigger"],
                  "matrix_version": out["matrix_version"], "require": out["require"], "owner_id": out["owner_id"],
                  "assignment": out["assignment"]}
        self.stdout.write(json.dumps(result, indent=2, default=str))
