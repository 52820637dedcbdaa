"""Admin for communication templates: refused on save when unsafe or broken, previewed on the page."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from tierline.templating.defaults import BUILTIN
from tierline.templating.lang import is_valid_language, normalize_language
from tierline.templating.models import CommunicationTemplate
from tierline.templating.render import FIELDS, TemplateProblem, render, validate_all
from tierline.templating.schema import OBJECTS, SAMPLE_CONTEXT, SCALARS

_CODE = {"style": "font-family:monospace;width:100%", "spellcheck": "false"}


class CommunicationTemplateForm(forms.ModelForm):
    class Meta:
        model = CommunicationTemplate
        fields = ("tenant", "kind", "language", "is_active", "subject", "body_text", "body_html")
        widgets = {
            "subject": forms.TextInput(attrs={**_CODE, "size": 100}),
            "body_text": forms.Textarea(attrs={**_CODE, "rows": 20}),
            "body_html": forms.Textarea(attrs={**_CODE, "rows": 20}),
        }

    def clean_language(self):
        # Normalised here, before the unique check, so "pt-br" collides with an existing "pt-BR".
        value = self.cleaned_data["language"]
        return normalize_language(value) if is_valid_language(value) else value

    def clean(self):
        data = super().clean()
        sources = [data.get(field) for field in FIELDS]
        if sources[0] is None or sources[1] is None:
            return data  # the field's own validation already failed; nothing to compile
        for problem in validate_all(*sources):
            field = problem.field if problem.field in self.fields else None
            self.add_error(field, str(problem))
        return data


@admin.register(CommunicationTemplate)
class CommunicationTemplateAdmin(admin.ModelAdmin):
    form = CommunicationTemplateForm
    list_display = ("kind", "language", "tenant", "is_active", "version", "updated_at")
    list_filter = ("tenant", "kind", "language", "is_active")
    list_select_related = ("tenant",)
    search_fields = ("subject", "tenant__code", "tenant__name")
    readonly_fields = ("preview", "variables", "version", "updated_at")
    fieldsets = (
        (None, {"fields": ("tenant", "kind", "language", "is_active")}),
        ("Template", {"fields": ("subject", "body_text", "body_html"),
                      "description": "Jinja syntax, sandboxed: {{ escalation.reference }}, {% if … %}, "
                                     "filters such as |upper. The HTML body is escaped automatically. "
                                     "See docs/templates.md and the variable list below."}),
        ("Preview with a sample escalation", {"fields": ("preview",)}),
        ("Available variables", {"fields": ("variables",), "classes": ("collapse",)}),
        ("History", {"fields": ("version", "updated_at")}),
    )

    def get_changeform_initial_data(self, request):
        # Start a new template from the built-in text for the kind (?kind=resolved), not a blank page.
        initial = super().get_changeform_initial_data(request)
        builtin = BUILTIN.get(initial.get("kind") or "acknowledgement")
        if builtin:
            initial.setdefault("subject", builtin.subject)
            initial.setdefault("body_text", builtin.text)
            initial.setdefault("body_html", builtin.html)
        return initial

    @admin.display(description="Preview")
    def preview(self, obj):
        if obj is None or not (obj.subject or obj.body_text):
            return "Save the template to see a preview."
        try:
            rendered = render((obj.subject, obj.body_text, obj.body_html), SAMPLE_CONTEXT)
        except TemplateProblem as problem:
            return format_html('<p class="errornote">{} (in {}): this template cannot be rendered.</p>',
                               str(problem), problem.field)
        # The HTML goes into a sandboxed iframe (no scripts, no same-origin access to the admin);
        # format_html escapes it into the srcdoc attribute, the browser unescapes it back.
        html = (format_html('<iframe sandbox="" srcdoc="{}" title="HTML preview" class="template-preview" '
                            'style="width:100%;max-width:760px;height:480px;border:1px solid #ccc;'
                            'background:#fff"></iframe>', rendered.html)
                if rendered.html is not None else format_html("<p>{}</p>", "No HTML body: plain text only."))
        return format_html(
            '<div class="template-preview"><p><strong>Subject:</strong> {}</p>'
            '<pre style="white-space:pre-wrap;max-width:760px;border:1px solid #ccc;padding:8px">{}</pre>{}</div>',
            rendered.subject, rendered.text, html)

    @admin.display(description="Variables")
    def variables(self, obj):
        rows = [(f"{name}.{field}", text) for name, fields in OBJECTS.items() for field, text in fields.items()]
        rows += list(SCALARS.items())
        body = format_html_join("", "<tr><td><code>{{{{ {} }}}}</code></td><td>{}</td></tr>", rows)
        return format_html("<table>{}</table>", body)
