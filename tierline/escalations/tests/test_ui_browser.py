"""The approval journey and the phone-width layout, in headless Chromium."""

import pytest

from tierline import actions
from tierline.escalations.models import Escalation
from tierline.routing.models import RoutingSettings
from tierline.testing.browser import chromium, signed_in_page
from tierline.testing.world import build_world


def _sign_out(page):
    page.click("button:has-text('Log out')")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resolve_with_compensation_manager_approves_then_resolved(live_server, monkeypatch, tmp_path):
    world = build_world()
    RoutingSettings.objects.create(tenant=world.tenant, approval_threshold=100)
    esc = world.escalation(title="Charged twice for May", owner=world.users["agent"])
    actions.acknowledge(esc, actor=world.actor("agent"), now=world.now)
    detail = f"{live_server.url}/escalations/{esc.reference}/"

    with chromium(monkeypatch) as (browser, expect):
        page, errors = signed_in_page(browser, live_server.url, "agent")
        page.goto(detail)
        page.click("details[data-panel=resolve] > summary")
        form = page.locator("form[data-action=resolve]")
        form.locator("textarea[name=summary]").fill("Refunded the second charge")
        form.locator("select[name=resolution_code]").select_option("fixed")
        form.locator("input[name=compensation_amount]").fill("150")
        form.locator("input[name=compensation_currency]").fill("EUR")
        form.locator("button[type=submit]").first.click()
        expect(page.locator("#escalation [data-error]")).to_contain_text("needs a manager's approval")
        form = page.locator("form[data-action=resolve]")
        form.locator("textarea[name=approval_reason]").fill("Customer was charged twice")
        form.locator("[data-request-approval]").click()
        expect(page.locator("#escalation .flash-success")).to_contain_text("Approval requested")
        expect(page.locator("[data-approval-state=requested]")).to_contain_text("150.00 EUR")
        _sign_out(page)

        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", "correct-horse-battery")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/escalations/**")
        expect(page.locator("[data-nav-approvals] .count")).to_have_text("1")
        page.click("[data-nav-approvals]")
        card = page.locator(f"[data-approval]:has-text('{esc.reference}')")
        card.locator("textarea[name=note]").fill("Goodwill: approved")
        card.locator("button[value=approve]").click()
        expect(page.locator("#flash")).to_contain_text("approved")
        expect(page.locator("[data-nav-approvals] .count")).to_have_text("0")
        _sign_out(page)

        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "agent")
        page.fill("input[name=password]", "correct-horse-battery")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/escalations/**")
        page.goto(detail)
        expect(page.locator("[data-approval-state=approved]")).to_contain_text("Goodwill: approved")
        page.click("details[data-panel=resolve] > summary")
        form = page.locator("form[data-action=resolve]")
        # The approved amount is already filled in.
        expect(form.locator("input[name=compensation_amount]")).to_have_value("150.00")
        form.locator("textarea[name=summary]").fill("Refunded the second charge")
        form.locator("select[name=resolution_code]").select_option("fixed")
        form.locator("button[type=submit]").first.click()
        expect(page.locator("[data-status-badge]")).to_have_text("Resolved")
        page.screenshot(path=str(tmp_path / "approved-and-resolved.png"), full_page=True)
        assert not errors, errors
    assert Escalation.objects.get(pk=esc.pk).status == "resolved"
    assert (tmp_path / "approved-and-resolved.png").stat().st_size > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_pages_fit_a_390px_phone(live_server, monkeypatch, tmp_path):
    world = build_world()
    esc = None
    for i in range(8):
        esc = world.escalation(title=f"A long escalation title that must not push the page sideways {i}",
                               owner=world.users["supervisor"], external_id=f"ZD-{i:05d}")
    with chromium(monkeypatch) as (browser, expect):
        page, errors = signed_in_page(browser, live_server.url, "supervisor")
        page.set_viewport_size({"width": 390, "height": 844})
        for name, url in (("list", "/escalations/?view=open"), ("detail", f"/escalations/{esc.reference}/"),
                          ("create", "/escalations/new/")):
            page.goto(live_server.url + url)
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(tmp_path / f"{name}-390.png"), full_page=True)
            assert width <= 390, f"{name} page is {width}px wide at a 390px viewport"
        # The skip link is the first thing a keyboard reaches, and it leads to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
        assert not errors, errors


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_typeahead_on_the_create_form(live_server, monkeypatch):
    world = build_world()
    with chromium(monkeypatch) as (browser, expect):
        page, errors = signed_in_page(browser, live_server.url, "agent")
        page.goto(f"{live_server.url}/escalations/new/")
        page.fill("input[name=title]", "Router reboots every hour")
        page.select_option("select[name=team]", label="L1 · Frontline care")
        page.locator("#customer_q").press_sequentially("vict", delay=30)
        choice = page.locator(f"#customer-results [data-customer='{world.vip.pk}']")
        expect(choice).to_contain_text("Victor VIP")
        choice.locator("input[type=radio]").check()
        page.click("button:has-text('Create escalation')")
        page.wait_for_url("**/escalations/ACME-*/")
        assert not errors, errors
    assert Escalation.objects.get(title="Router reboots every hour").customer_id == world.vip.pk
