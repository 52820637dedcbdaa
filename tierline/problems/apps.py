from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "tierline.problems"
    label = "problems"
    verbose_name = "Problems and root causes"
    default_auto_field = "django.db.models.BigAutoField"
