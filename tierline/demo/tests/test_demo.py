import datetime as dt
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction

from tierline.accounts.models import User
from tierline.audit.chain import verify
from tierline.audit.models import Event
from tierline.demo.generator import load_demo, plan_demo, summarise
from tierline.escalations.choices import EscalationType, Trigger
from tierline.escalations.models import Escalation
from tierline.tenancy.choices import Role
from tierline.tenancy.models import Customer, Membership, Team, Tenant

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
# Enough to guarantee every type and trigger (the planner cycles through them first); a short
# history so that a fair share is still open at NOW.
SMALL = dict(seed=42, now=NOW, escalations=60, customers=40, days=30)


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """One small load shared by the tests of a class (loading is the slow part), rolled back after."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield load_demo(**SMALL)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.usefixtures("demo")
class TestSmallDemo:
    def test_new_escalations_are_routed_by_the_starter_matrix_and_assigned(self, db):
        from tierline import actions
        from tierline.core.actors import Actor

        tenant = Tenant.objects.get(code="ACME")
        agent = Membership.objects.filter(tenant=tenant, role="agent").first().user
        esc = actions.create_escalation(actor=Actor.for_user(agent), now=NOW, tenant=tenant, title="Wrong invoice",
                                        type="billing", priority="P3", team=None, channel="phone")
        assert (esc.team.name, esc.routing_rule) == ("Billing & accounts", "Billing, refunds and compensation")
        assert esc.owner is not None  # the billing team hands out work by skills
        breach = actions.create_escalation(actor=Actor.for_user(agent), now=NOW, tenant=tenant, team=None,
                                           title="Customer reports a data breach", type="technical",
                                           priority="P3", channel="email")
        assert (breach.team.name, breach.priority, breach.trigger) == ("Compliance & risk", "P1", "priority_based")

    def test_three_tenants_each_with_teams_at_all_five_levels(self, db):
        tenants = Tenant.objects.order_by("code")
        assert [t.code for t in tenants] == ["ACME", "GLOBEX", "INITECH"]
        for tenant in tenants:
            teams = Team.objects.filter(tenant=tenant)
            assert set(teams.values_list("level", flat=True)) == {1, 2, 3, 4, 5}
            frontline = teams.get(level=1)
            chain = [frontline.level]
            team = frontline
            while team.parent_id:
                team = team.parent
                chain.append(team.level)
            assert chain == [1, 2, 3, 4, 5]

    def test_people_cover_every_role_and_some_work_for_several_tenants(self, db):
        assert User.objects.count() == 30
        assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
        admin = User.objects.get(username="admin")
        assert admin.is_staff and admin.is_superuser
        assert sorted(Membership.objects.filter(user=admin).values_list("role", flat=True)) == ["admin"] * 3
        tenants_per_user = Counter(Membership.objects.values_list("user_id", flat=True))
        assert sum(1 for n in tenants_per_user.values() if n > 1) >= 3
        assert all(u.email.split("@")[1].endswith(("example.com", "example.net")) for u in User.objects.all())

    def test_customers(self, db):
        customers = Customer.objects.all()
        assert customers.count() == 40
        assert {"standard", "gold", "vip"} <= set(customers.values_list("tier", flat=True))
        assert all(c.email.endswith(("@example.com", "@example.net")) for c in customers)
        assert all(c.created_at < NOW - dt.timedelta(days=SMALL["days"]) for c in customers)

    def test_every_type_and_every_trigger_appears(self, db):
        assert Escalation.objects.count() == 60
        assert set(Escalation.objects.values_list("type", flat=True)) == set(EscalationType.values)
        assert set(Escalation.objects.values_list("trigger", flat=True)) == set(Trigger.values)
        statuses = set(Escalation.objects.values_list("status", flat=True))
        assert "closed" in statuses and statuses & {"new", "acknowledged", "in_progress", "pending_customer",
                                                    "pending_third_party", "resolved"}

    def test_events_move_forward_in_time_and_stop_before_now(self, db):
        per_escalation = defaultdict(list)
        # seq is per tenant, and an escalation lives in one tenant: its events in seq order.
        for esc_id, at, kind in Event.objects.order_by("seq").values_list("escalation_id", "occurred_at", "type"):
            per_escalation[esc_id].append((at, kind))
        assert len(per_escalation) == 60
        for events in per_escalation.values():
            times = [at for at, _ in events]
            assert times == sorted(times)
            assert times[-1] <= NOW
            assert events[0][1] == 100  # created comes first
        assert min(Escalation.objects.values_list("created_at", flat=True)) >= NOW - dt.timedelta(days=SMALL["days"])

    def test_each_tenants_hash_chain_verifies(self, db):
        for tenant in Tenant.objects.all():
            events = Event.objects.filter(tenant=tenant).order_by("seq")
            assert events.exists()
            assert verify((ev.seq, ev.prev_hash, ev.hash, ev.chain_payload()) for ev in events) is None

    def test_loading_again_changes_nothing(self, db):
        before = summarise()
        last_event = Event.objects.order_by("-id").values_list("id", flat=True).first()
        again = load_demo(**SMALL)
        out = io.StringIO()
        call_command("demo", escalations=5, customers=5, stdout=out, stderr=io.StringIO())
        assert not again.created and again.password is None
        assert "already loaded" in out.getvalue()
        assert summarise() == before
        assert Event.objects.order_by("-id").values_list("id", flat=True).first() == last_event

    def test_replaying_each_log_gives_the_stored_escalation(self, db):
        from tierline.actions._base import tracked_state
        from tierline.escalations.replay import check_consistency, replay
        from tierline.privacy.keys import open_rows

        for esc in Escalation.objects.all():
            log = open_rows(list(Event.objects.filter(escalation=esc).values("seq", "type", "data")))
            assert replay(log) == tracked_state(esc) and check_consistency(log) is None, esc.reference

    def test_sla_clocks_run_on_business_calendars_with_holidays(self, db):
        from tierline.sla.models import Calendar, SlaPolicy

        for tenant in Tenant.objects.all():
            policies = SlaPolicy.objects.filter(tenant=tenant)
            assert set(policies.values_list("priority", flat=True)) == {"P1", "P2", "P3", "P4"}
            assert all(p.warnings == [75] and p.steps and p.first_response and p.update_cadence for p in policies)
            office = Calendar.objects.get(tenant=tenant, name="Office hours")
            assert office.spec["timezone"] == tenant.time_zone and office.spec["holidays"]["country"]
        # every escalation started on a policy; the log has warnings and breaches where they fell
        kinds = Counter(Event.objects.values_list("type", flat=True))
        assert kinds[402] >= 60 and kinds[400] > 0 and kinds[401] > 0

    def test_reports_have_their_inputs(self, db):
        from tierline.problems.models import CorrectiveAction, Problem, RootCause
        from tierline.reports.models import ContactVolume

        rated = Escalation.objects.exclude(csat_score=None)
        assert rated.exists() and set(rated.values_list("status", flat=True)) <= {"resolved", "closed"}
        for tenant in Tenant.objects.all():
            days = set(ContactVolume.objects.filter(tenant=tenant).values_list("date", flat=True))
            assert len(days) >= SMALL["days"]
            assert RootCause.objects.filter(tenant=tenant, parent=None).count() == 3
            assert Problem.objects.filter(tenant=tenant).count() == 3
            assert set(CorrectiveAction.objects.filter(tenant=tenant).values_list("status", flat=True)) >= {"open",
                                                                                                          "done"}

    def test_history_sends_nothing_old(self, db):
        from tierline.notifications.models import OutboxMessage

        old = OutboxMessage.objects.filter(created_at__lt=NOW - dt.timedelta(hours=9))
        assert not old.exists()

    def test_same_seed_gives_the_same_escalations(self, db):
        stored = Counter(Escalation.objects.values_list("title", flat=True))
        planned = plan_demo(**SMALL)
        assert Counter(e.title for e in planned.escalations) == stored
        assert [e.title for e in plan_demo(**SMALL).escalations] == [e.title for e in planned.escalations]
        other = plan_demo(**{**SMALL, "seed": 7})
        assert Counter(e.title for e in other.escalations) != stored


def test_command_loads_once_and_saves_the_login(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", escalations=20, customers=10, stdout=out, stderr=err)
    text = out.getvalue()
    line = next(row for row in text.splitlines() if row.startswith("Log in at http://127.0.0.1:8000 as admin / "))
    password = line.rsplit(" / ", 1)[1]
    assert "same password" in text and "escalations  20" in text
    assert "20/20 escalations" in err.getvalue()
    assert User.objects.get(username="admin").check_password(password)
    assert User.objects.get(username="graham.hughes").check_password(password)
    saved = (tmp_path / "demo-login.txt").read_text()
    assert line in saved
    assert (tmp_path / "demo-login.txt").stat().st_mode & 0o077 == 0

    again = io.StringIO()
    call_command("demo", stdout=again, stderr=io.StringIO())
    assert "already loaded" in again.getvalue() and str(tmp_path / "demo-login.txt") in again.getvalue()
    assert Escalation.objects.count() == 20


def test_pages_show_the_loading_banner_until_the_load_finishes(db, client, monkeypatch):
    from tierline.demo import context
    from tierline.demo.models import DemoLoad

    monkeypatch.setattr(context, "_finished", False)  # another test in this process may have finished a load
    load = DemoLoad.objects.create(pk=1, total=3000, done=1234, started_at=NOW)
    page = client.get("/login/")
    assert page.status_code == 200
    assert "Loading demo data: 1,234 / 3,000 escalations" in page.content.decode()
    load.finished_at = NOW
    load.save()
    assert "Loading demo data" not in client.get("/login/").content.decode()


def test_an_unfinished_load_is_reported_not_repeated(db, settings, tmp_path):
    from tierline.demo.models import DemoLoad

    settings.VAR_DIR = tmp_path
    DemoLoad.objects.create(pk=1, total=3000, done=10, started_at=NOW)
    out = io.StringIO()
    call_command("demo", escalations=5, customers=5, stdout=out, stderr=io.StringIO())
    assert "under way or was interrupted (10/3000" in out.getvalue()
    assert not Tenant.objects.exists()
