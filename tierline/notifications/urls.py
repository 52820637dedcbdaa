from django.urls import path

from tierline.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("unread/", views.unread_badge, name="unread"),
    path("<int:pk>/read/", views.read_one, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("preferences/", views.preferences_page, name="preferences"),
    path("outbox/", views.outbox_problems, name="outbox"),
    path("outbox/retry/", views.outbox_retry, name="outbox_retry"),
]
