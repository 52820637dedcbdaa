from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "tierline.security"
    label = "security"
    verbose_name = "Security"
