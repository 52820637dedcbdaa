from django.urls import path

from tierline.audit import views

app_name = "audit"

urlpatterns = [
    path("export/", views.export_page, name="export"),
    path("escalations/<str:reference>/access/", views.access_log_page, name="access-log"),
    path("escalations/<str:reference>/bundle/", views.bundle_download, name="bundle"),
]
