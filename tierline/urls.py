from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tierline.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("", include("tierline.accounts.urls")),
    path("", include("tierline.escalations.urls")),
]
