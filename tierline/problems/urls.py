from django.urls import path

from tierline.problems import views

app_name = "problems"

urlpatterns = [
    path("", views.problem_list, name="list"),
    path("recurring/", views.recurring_page, name="recurring"),
    path("recurring/chart.svg", views.recurring_chart, name="recurring-chart"),
    path("recurring.csv", views.recurring_csv, name="recurring-csv"),
    path("<int:pk>/", views.problem_detail, name="detail"),
    path("<int:pk>/do/<str:what>/", views.problem_do, name="do"),
    path("escalations/<str:reference>/root-cause/", views.escalation_root_cause, name="escalation-root-cause"),
]
