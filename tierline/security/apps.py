from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "tierline.security"
    label = "security"
    verbose_name = "Security"

    def ready(self):
        # One way in: the admin's own login form would skip throttling-aware SSO links and the
        # TOTP step, so it sends people to Tierline's sign-in and back.
        from urllib.parse import urlencode

        from django.contrib import admin
        from django.shortcuts import redirect
        from django.urls import reverse

        def login(request, extra_context=None):
            target = request.GET.get("next") or reverse("admin:index")
            return redirect(f"{reverse('login')}?{urlencode({'next': target})}")

        admin.site.login = login
