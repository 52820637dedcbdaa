from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "tierline.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks and chat notifications"
