from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhucan.elderphone.models import Relation


class BindForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20)
    relation = forms.ChoiceField(label=_("关系"), choices=Relation.choices)
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False,
                                   help_text=_("本人可不填（用老人姓名）"))
