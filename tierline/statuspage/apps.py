from django.apps import AppConfig


class StatusPageConfig(AppConfig):
    name = "tierline.statuspage"
    label = "statuspage"
    verbose_name = "Customer status page"
