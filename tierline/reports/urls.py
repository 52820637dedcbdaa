from django.urls import path

from tierline.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("escalations.<str:fmt>", views.escalation_export, name="escalation-export"),
    path("<str:code>/", views.kpi_report, name="kpi"),
    path("<str:code>/supervisor/", views.supervisor, name="supervisor"),
    path("<str:code>/management/", views.management, name="management"),
]
