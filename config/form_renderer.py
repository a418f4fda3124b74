"""The form renderer (settings.FORM_RENDERER): Django's own form and widget templates rendered by Jinja2.

Django renders every widget through a template, and every option of a select through another
(with an attribute template each): with its own template language the stage filter of the branch
board (23 options) cost more than its 300 cards. Django ships the same templates for Jinja2
(django/forms/jinja2, kept identical in output by Django's own tests), which render them about
three times faster. Any other template a form asks for (the admin's widgets, a third party's)
is rendered as before by Django's default renderer; so is a Django form template the Jinja2
set lacks.
"""

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    def __init__(self) -> None:
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        if template_name.startswith("django/forms/"):
            try:
                return self.jinja2.get_template(template_name)
            except TemplateDoesNotExist:
                pass
        return self.django.get_template(template_name)
