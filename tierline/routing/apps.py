from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "tierline.routing"
    label = "routing"
    verbose_name = "Escalation matrix and assignment"

    def ready(self):
        from tierline.routing import signals

        signals.connect()
