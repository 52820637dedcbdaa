"""Sign-in: password (throttled by axes), then a TOTP code when the user has or needs one."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from tierline.security.oidc import sso_enabled
from tierline.security.twofactor import totp_device, totp_required

PENDING_KEY = "tierline_2fa_pending"  # {"user": pk, "backend": path, "next": url}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["sso_enabled"] = sso_enabled()
        ctx["sso_failed"] = self.request.GET.get("sso") == "failed"
        ctx["totp_required_notice"] = self.request.GET.get("totp") == "required"
        return ctx

    def form_valid(self, form):
        user = form.get_user()
        device = totp_device(user)
        if device is None and not totp_required(user):
            return super().form_valid(form)
        if device is None:
            form.add_error(None, "Your role requires a second factor (an authenticator app), and none is set up "
                                 "for your account yet. Ask an administrator to set one up.")
            return self.form_invalid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {"user": user.pk, "backend": user.backend,
                                             "next": self.get_success_url()}
        return redirect("login-code")


class CodeForm(forms.Form):
    code = forms.CharField(label="Authentication code", max_length=8, min_length=6,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "autofocus": True}))


def login_code(request):
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("login")
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    device = totp_device(user) if user else None
    if device is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["code"].strip()):
            request.session.pop(PENDING_KEY, None)
            user.backend = pending["backend"]
            auth_login(request, user)
            otp_login(request, device)
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
                target = resolve_url(settings.LOGIN_REDIRECT_URL)
            return HttpResponseRedirect(target)
        form.add_error("code", "That code is not valid. Enter the current 6-digit code from your authenticator app."
                       if allowed else "Too many wrong codes: wait a minute, then enter the current code.")
    return render(request, "security/login_code.html", {"form": form}, status=400 if form.errors else 200)
