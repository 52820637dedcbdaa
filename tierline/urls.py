from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tierline.api import api
from tierline.sla import views as sla_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("", include("tierline.accounts.urls")),
    path("sla/simulator/", sla_views.simulator, name="sla-simulator"),
    path("", include("tierline.escalations.urls")),
]
