from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tierline.api import api
from tierline.notifications import devmail
from tierline.routing import views as routing_views
from tierline.runtime import views as runtime_views
from tierline.sla import views as sla_views
from tierline.tenancy import views as tenancy_views

urlpatterns = [
    path("healthz", runtime_views.healthz, name="healthz"),
    path("readyz", runtime_views.readyz, name="readyz"),
    path("dev/mailbox/", devmail.mailbox_list, name="dev-mailbox"),
    path("dev/mailbox/<str:key>/", devmail.mailbox_message, name="dev-mailbox-message"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("", include("tierline.security.urls")),
    path("", include("tierline.accounts.urls")),
    path("status/", include("tierline.statuspage.urls")),
    path("notifications/", include("tierline.notifications.urls")),
    path("audit/", include("tierline.audit.urls")),
    path("problems/", include("tierline.problems.urls")),
    path("sla/simulator/", sla_views.simulator, name="sla-simulator"),
    path("routing/guidance/", routing_views.create_guidance, name="routing-guidance"),
    path("routing/matrix/", routing_views.matrix_home, name="routing-matrix-home"),
    path("routing/<str:code>/matrix/", routing_views.matrix_page, name="routing-matrix"),
    path("escalations/<str:reference>/guidance/", routing_views.escalate_guidance, name="routing-escalate-guidance"),
    path("reports/", include("tierline.reports.urls")),
    path("config/", tenancy_views.config_home, name="config-home"),
    path("config/", include("tierline.routing.urls")),
    path("config/", include("tierline.sla.urls")),
    path("", include("tierline.escalations.urls")),
]
