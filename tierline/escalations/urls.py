from django.urls import path

from tierline.escalations import views, views_approvals, views_bulk, views_lists

app_name = "escalations"

urlpatterns = [
    path("", views.home, name="home"),
    path("escalations/", views_lists.escalation_list, name="list"),
    path("escalations/new/", views.escalation_create, name="create"),
    path("escalations/customers/", views_lists.customer_picker, name="customers"),
    path("escalations/bulk/", views_bulk.bulk, name="bulk"),
    path("approvals/", views_approvals.approvals_queue, name="approvals"),
    path("approvals/<int:pk>/decide/", views_approvals.approval_decide, name="approval-decide"),
    path("escalations/<str:reference>/", views.escalation_detail, name="detail"),
    path("escalations/<str:reference>/do/<str:action>/", views.escalation_action, name="action"),
]
