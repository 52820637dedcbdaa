from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tierline.reports"
    label = "reports"
