from django.urls import path

from tierline.security import oidc, views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login-code"),
    path("oidc/authenticate/", oidc.SsoStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.SsoCallback.as_view(), name="oidc_authentication_callback"),
]
