from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tierline.privacy"
    label = "privacy"
    verbose_name = "Privacy: keys, retention, erasure"
