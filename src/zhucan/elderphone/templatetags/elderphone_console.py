"""The elder page's sections from the phone-page side: `{% elder_phone_bindings elder as pb %}` gives
the elder's bindings, `{% elder_meals elder as em %}` today's allowance and recent meals, each scoped
to the console user (None when they may not see the elder)."""

from __future__ import annotations

from django import template

from zhucan.core.errors import NotFound
from zhucan.elderphone.console_meals import elder_meal_overview
from zhucan.elderphone.forms import BindForm
from zhucan.elderphone.selectors import elder_bindings

register = template.Library()


@register.simple_tag(takes_context=True)
def elder_phone_bindings(context, elder):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or elder is None:
        return None
    try:
        section = elder_bindings(actor=user, elder_id=elder.pk)
    except NotFound:
        return None
    section.form = BindForm() if section.can_change else None
    return section


@register.simple_tag(takes_context=True)
def elder_meals(context, elder):
    """`{% elder_meals elder as em %}`: today's allowance and recent meals for the elder page (None
    when the console user may not see the elder)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or elder is None:
        return None
    try:
        return elder_meal_overview(actor=user, elder_id=elder.pk)
    except NotFound:
        return None
