from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "tierline.runtime"
    label = "runtime"
    verbose_name = "Runtime (web server and worker)"
