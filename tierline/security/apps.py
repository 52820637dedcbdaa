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

        # ready(): views import models, which cannot load before the app registry is ready.
        from tierline.tenancy.views import admin_refused

        def login(request, extra_context=None):
            if request.user.is_authenticated:
                # Signed in but not allowed: the sign-in page would send them straight back here.
                return admin_refused(request)
            target = request.GET.get("next") or reverse("admin:index")
            return redirect(f"{reverse('login')}?{urlencode({'next': target})}")

        admin.site.login = login
        # Tenant admins configure their tenants in the configuration screens; the Django admin
        # crosses every tenant, so it is for superusers only (staff flags alone open nothing).
        admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser
