from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tierline.demo"
    label = "demo"
    verbose_name = "Demo data"
