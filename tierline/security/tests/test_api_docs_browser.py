"""/api/v1/docs in headless Chromium, under the real CSP and with no network beyond this machine:
Swagger UI's assets come from the installed package, and the page renders the operations."""

import pytest

from tierline.testing.browser import chromium


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_offline_under_the_csp(live_server, monkeypatch):
    with chromium(monkeypatch) as (browser, expect):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20000)
        errors, refused, outside = [], [], []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
        page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(live_server.url)
                and not req.url.startswith("data:") else None)
        response = page.goto(f"{live_server.url}/api/docs")
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tierline API")
        expect(page.locator(".opblock").first).to_be_visible()
        assert page.locator(".opblock").count() > 50
        assert page.locator(".opblock-summary-path", has_text="/api/v1/escalations").count() > 0
        assert not errors and not refused and not outside, (errors, refused, outside)
