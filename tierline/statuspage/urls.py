from django.urls import path

from tierline.statuspage import views

app_name = "statuspage"

urlpatterns: list = [
    path("manage/<str:reference>/issue/", views.issue, name="issue"),
    path("manage/<str:reference>/links/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("<str:token>/", views.status_page, name="page"),
]
