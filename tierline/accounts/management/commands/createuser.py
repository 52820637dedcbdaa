import getpass
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tierline.accounts.models import User
from tierline.tenancy.choices import Role
from tierline.tenancy.models import Membership, Tenant


class Command(BaseCommand):
    help = "Create a user, optionally with a role in a tenant."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="omit to be asked (or --generate-password)")
        parser.add_argument("--generate-password", action="store_true")
        parser.add_argument("--tenant", help="tenant code, e.g. ACME")
        parser.add_argument("--role", choices=Role.values)
        parser.add_argument("--superuser", action="store_true", help="BPO admin with Django admin access")

    def handle(self, *args, username, email, password, generate_password, tenant, role, superuser, **opts):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists")
        if bool(tenant) != bool(role):
            raise CommandError("--tenant and --role go together")
        tenant_obj = None
        if tenant:
            tenant_obj = Tenant.objects.filter(code=tenant).first()
            if tenant_obj is None:
                raise CommandError(f"no tenant with code {tenant!r}")
        if generate_password:
            password = secrets.token_urlsafe(12)
        elif not password:
            password = getpass.getpass("Password: ")
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages))
        with transaction.atomic():
            user = User.objects.create_user(username, email=email, password=password,
                                            is_staff=superuser, is_superuser=superuser)
            if tenant_obj:
                Membership.objects.create(tenant=tenant_obj, user=user, role=role)
        self.stdout.write(self.style.SUCCESS(f"created {username}" + (f" ({role} in {tenant})" if tenant else "")))
        if generate_password:
            self.stdout.write(f"password: {password}")
