from django.urls import path

from tierline.routing import views_config

app_name = "routing-config"

urlpatterns = [
    path("<str:code>/matrix/", views_config.matrix_editor, name="matrix"),
    path("<str:code>/matrix/dry-run/", views_config.dry_run_page, name="dry-run"),
    path("<str:code>/matrix/<int:number>/", views_config.version_page, name="version"),
    path("<str:code>/matrix/<int:number>/publish/", views_config.version_publish, name="publish"),
    path("<str:code>/matrix/<int:number>/discard/", views_config.discard_draft, name="discard"),
]
