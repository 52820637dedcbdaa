from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "tierline.escalations"
    label = "escalations"
    verbose_name = "Escalations"
