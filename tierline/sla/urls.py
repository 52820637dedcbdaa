from django.urls import path

from tierline.sla import views_config

app_name = "sla-config"

urlpatterns = [
    path("<str:code>/calendars/", views_config.calendars, name="calendars"),
    path("<str:code>/calendars/new/", views_config.calendar_edit, name="calendar-new"),
    path("<str:code>/calendars/preview/", views_config.calendar_preview, name="calendar-preview"),
    path("<str:code>/calendars/<int:pk>/", views_config.calendar_edit, name="calendar"),
    path("<str:code>/calendars/<int:pk>/retime/", views_config.calendar_retime, name="calendar-retime"),
    path("<str:code>/policies/", views_config.policies, name="policies"),
    path("<str:code>/policies/new/", views_config.policy_edit, name="policy-new"),
    path("<str:code>/policies/<int:pk>/", views_config.policy_edit, name="policy"),
    path("<str:code>/policies/<int:pk>/retime/", views_config.policy_retime, name="policy-retime"),
]
