from django.contrib.auth import views as auth_views
from django.urls import path

# Sign-in (password, TOTP code, SSO) lives in tierline/security/urls.py.
urlpatterns = [
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
