from django.apps import AppConfig


class TemplatingConfig(AppConfig):
    name = "tierline.templating"
    label = "templating"
    verbose_name = "Customer communication templates"
