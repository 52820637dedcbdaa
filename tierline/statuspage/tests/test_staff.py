"""Staff issue and withdraw status links from the escalation page."""

import re

from tierline.statuspage.models import StatusLink

# Every customer email carries a link of its own (notifications/status_links.py); these tests are about
# the links staff issue.
STAFF = StatusLink.objects.exclude(created_by="system:customer-mail")


def issue(client, esc, **data):
    return client.post(f"/status/manage/{esc.reference}/issue/", data)


def shown_url(response) -> str:
    match = re.search(r'value="(http://testserver(/status/[^"/]+/))" data-status-url', response.content.decode())
    assert match, response.content.decode()
    return match[2]


def test_an_agent_issues_a_link_shown_once_that_opens_the_page(client, world, opened):
    esc, _ = opened
    client.force_login(world.users["agent"])
    response = issue(client, esc, days="7")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "strict-origin"
    url = shown_url(response)
    link = StatusLink.objects.latest("pk")
    assert link.created_by == "user:agent" and (link.expires_at - link.created_at).days == 7
    client.logout()
    assert esc.reference in client.get(url).content.decode()


def test_a_client_viewer_cannot_issue_and_does_not_see_the_card(client, world, opened):
    esc, _ = opened
    count = STAFF.count()
    client.force_login(world.users["client_viewer"])
    response = issue(client, esc)
    assert response.status_code == 403 and "data-status-url" not in response.content.decode()
    assert STAFF.count() == count
    assert "data-status-links" not in client.get(f"/escalations/{esc.reference}/").content.decode()


def test_the_detail_page_lists_live_links_and_withdraws_them(client, world, opened):
    esc, url = opened
    client.force_login(world.users["supervisor"])
    html = client.get(f"/escalations/{esc.reference}/").content.decode()
    assert "data-status-links" in html and "Issue link" in html
    link = STAFF.get(escalation=esc)
    revoke_url = f"/status/manage/{esc.reference}/links/{link.pk}/revoke/"
    assert revoke_url in html
    response = client.post(revoke_url)
    assert response.status_code == 302 and response["Location"] == f"/escalations/{esc.reference}/"
    link.refresh_from_db()
    assert link.revoked_by == "user:supervisor" and link.revoked_at is not None
    assert client.get(url).status_code == 404
    assert revoke_url not in client.get(f"/escalations/{esc.reference}/").content.decode()


def test_other_tenants_anonymous_and_get_requests_are_turned_away(client, world, opened):
    esc, _ = opened
    link = STAFF.get(escalation=esc)
    assert issue(client, esc).status_code == 302  # to the login page
    client.force_login(world.other_user)
    assert issue(client, esc).status_code == 404
    assert client.post(f"/status/manage/{esc.reference}/links/{link.pk}/revoke/").status_code == 404
    client.force_login(world.users["agent"])
    assert client.get(f"/status/manage/{esc.reference}/issue/").status_code == 405
    assert issue(client, esc, days="999").status_code == 422
    assert STAFF.filter(escalation=esc).count() == 1
    assert StatusLink.objects.get(pk=link.pk).revoked_at is None
