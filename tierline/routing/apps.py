from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "tierline.routing"
    label = "routing"
    verbose_name = "Escalation matrix and assignment"

    def ready(self):
        # Signals name models, which exist only once the app registry has loaded them.
        from tierline.routing import signals

        signals.connect()
