from django.apps import AppConfig


class MailInConfig(AppConfig):
    name = "tierline.mailin"
    label = "mailin"
    verbose_name = "Inbound email"
