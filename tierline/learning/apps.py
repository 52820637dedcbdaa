from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "tierline.learning"
    label = "learning"
    verbose_name = "Learned routing and prediction"
