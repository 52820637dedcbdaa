from django.urls import path

from tierline.escalations import views

app_name = "escalations"

urlpatterns = [
    path("", views.home, name="home"),
    path("escalations/", views.escalation_list, name="list"),
    path("escalations/new/", views.escalation_create, name="create"),
    path("escalations/<str:reference>/", views.escalation_detail, name="detail"),
    path("escalations/<str:reference>/do/<str:action>/", views.escalation_action, name="action"),
]
