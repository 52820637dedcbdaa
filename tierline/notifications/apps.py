from django.apps import AppConfig
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "tierline.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        checks.register(_public_base_url, checks.Tags.compatibility)


def _public_base_url(app_configs, **kwargs):
    from django.conf import settings

    if settings.TIERLINE.get("PUBLIC_BASE_URL") or getattr(settings, "DEV_MODE", False):
        return []  # development: links to a local server are fine as they are
    return [checks.Warning(
        "TIERLINE_PUBLIC_BASE_URL is not set: the status-page link in customer emails is a bare path "
        "(/status/…/) that mail clients cannot open.",
        hint="Set it to the address customers reach Tierline at, e.g. https://support.example.com",
        id="tierline.notifications.W001")]
