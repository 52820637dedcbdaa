from django.contrib import admin
from django.urls import include, path

from tierline.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("tierline.accounts.urls")),
    path("", include("tierline.escalations.urls")),
]
