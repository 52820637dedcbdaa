from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tierline.tenancy"
    label = "tenancy"
    verbose_name = "Tenants, teams and customers"
