from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "tierline.sla"
    label = "sla"
    verbose_name = "SLA calendars and policies"
