from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tierline.notifications"
    label = "notifications"
    verbose_name = "Notifications"
