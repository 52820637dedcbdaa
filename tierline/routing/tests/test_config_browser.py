"""In headless Chromium, as the tenant admin: build a calendar and an SLA policy through the
configuration screens, create an escalation and read the deadline they give on its detail page;
then a matrix edit naming a missing team is refused, fixed, published and dry-run."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import add_business_time
from tierline.escalations.models import Escalation
from tierline.routing.models import MatrixVersion
from tierline.sla.models import Calendar, SlaPolicy
from tierline.testing.browser import chromium, signed_in_page
from tierline.testing.world import build_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_configures_calendar_policy_and_matrix_in_chromium(live_server, monkeypatch, tmp_path):
    build_world()
    with chromium(monkeypatch) as (browser, expect):
        page, errors = signed_in_page(browser, live_server.url, "admin")
        page.click("#nav-config")
        page.click("[data-tenant=ACME] >> text=Business calendars")
        page.click("#new-calendar")
        page.fill("input[name=name]", "Paris desk")
        page.select_option("select[name=timezone]", "Europe/Paris")
        for day in ("mon", "tue", "wed", "thu", "fri"):
            page.fill(f"input[name=hours_{day}]", "09:00-12:00, 13:00-18:00")
        page.select_option("select[name=holiday_country]", "FR")
        page.fill("textarea[name=closed]", "2026-12-24")
        # The live preview: Wednesday 23 Dec 17:00 + 2 h → 1 h that day, 24th closed, 25th Christmas.
        page.fill("input[name=start]", "2026-12-23T17:00")
        page.fill("input[name=hours]", "2")
        page.fill("input[name=minutes]", "0")
        expect(page.locator("#due-preview [data-due]")).to_have_text("Mon 28 Dec 2026 10:00")
        page.click("#save-calendar")
        expect(page.locator("#flash")).to_contain_text("Calendar “Paris desk” saved")

        page.click(".config-tabs >> text=SLA policies")
        page.click("#new-policy")
        page.fill("input[name=name]", "Standard")
        page.select_option("select[name=calendar]", label="Paris desk")
        page.fill("input[name=first_response_h]", "1")
        page.fill("input[name=resolution_h]", "6")
        page.fill("input[name=resolution_m]", "30")
        page.fill("input[name=warnings_text]", "75")
        page.select_option("select[name=s0-action]", "escalate_level")
        page.click("#save-policy")
        expect(page.locator("#flash")).to_contain_text("SLA policy “Standard” saved")
        expect(page.locator("#policy-schedule")).to_contain_text("6 h 30 min")

        page.click("text=+ New escalation")
        page.fill("input[name=title]", "Invoice sent twice")
        page.select_option("select[name=type]", "billing")
        page.select_option("select[name=team]", label="L2 · Billing specialists")
        page.click("button:has-text('Create escalation')")
        page.wait_for_url("**/escalations/ACME-*/")
        esc = Escalation.objects.get(title="Invoice sent twice")
        cal = calendar_from_dict(Calendar.objects.get(name="Paris desk").spec)
        due = add_business_time(esc.created_at, dt.timedelta(hours=6, minutes=30), cal)
        expect(page.locator("[data-sla-target=resolution]")).to_contain_text(
            f"due {due.astimezone(ZoneInfo('UTC')):%a %d %b %H:%M}")
        assert esc.sla_policy_id == SlaPolicy.objects.get(name="Standard").pk

        page.click("#nav-config")
        page.click("[data-tenant=ACME] >> text=Escalation matrix")
        rows = [("10", "Billing to specialists", "billing", "Billing experts", ""),
                ("100", "Everything else", "", "", "1")]
        for i, (order, name, types, team, level) in enumerate(rows):
            page.fill(f"input[name=r{i}-precedence]", order)
            page.fill(f"input[name=r{i}-name]", name)
            page.fill(f"input[name=r{i}-type]", types)
            page.fill(f"input[name=r{i}-team]", team)
            if level:
                page.select_option(f"select[name=r{i}-level]", level)
        page.click("#save-draft")
        expect(page.locator("#matrix-problems")).to_contain_text("team 'Billing experts' does not exist")
        expect(page.locator("#publish-link")).to_have_count(0)

        page.click("text=Edit as a new draft")
        page.fill("input[name=r0-team]", "Billing specialists")
        page.click("#save-draft")
        expect(page.locator("#no-blocking")).to_be_visible()
        page.click("#publish-link")
        expect(page.locator("#matrix-diff")).to_contain_text("+      team: Billing specialists")
        page.click("#confirm-publish-button")  # not ticked: refused
        expect(page.locator("#publish-error")).to_contain_text("Tick the confirmation box")
        page.check("#confirm-publish")
        page.click("#confirm-publish-button")
        expect(page.locator("#flash")).to_contain_text("Version 2 published")

        page.click(".config-tabs >> text=Dry run")
        page.fill("#dr-title", "Refund missing")
        page.select_option("#dr-type", "billing")
        page.click("#dry-run-button")
        expect(page.locator("#guidance [data-rule]")).to_have_text("Billing to specialists")
        expect(page.locator("#guidance [data-team]")).to_have_text("Billing specialists")
        page.screenshot(path=str(tmp_path / "matrix-dry-run.png"), full_page=True)
        assert errors == []
    assert MatrixVersion.objects.get(number=2).state == "published"
    assert MatrixVersion.objects.get(number=1).state == "draft"
