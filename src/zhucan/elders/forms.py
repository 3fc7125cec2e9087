"""Console forms for elders. Validation of substance (ID numbers, scope, duplicates) lives in the
services; the forms only shape input."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhucan.elders.models import ElderStatus, Tag
from zhucan.regions.forms import RegionChoice
from zhucan.regions.models import Level, Region
from zhucan.regions.selectors import region_choices


class ElderForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("居住地址"), max_length=200, required=False)
    community = RegionChoice(label=_("所属社区"), queryset=Region.objects.none())
    hukou_district = RegionChoice(label=_("户籍区县"), queryset=Region.objects.none(), required=False)
    hukou_note = forms.CharField(label=_("户籍（市外）"), max_length=100, required=False)
    citizen_card_number = forms.CharField(label=_("市民卡号"), max_length=32, required=False)
    tags = forms.ModelMultipleChoiceField(
        label=_("标签"), queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
    )
    # 已退出 is set only by the erasure service, which also removes the personal data.
    status = forms.ChoiceField(label=_("状态"), initial=ElderStatus.ACTIVE,
                               choices=[c for c in ElderStatus.choices if c[0] != ElderStatus.WITHDRAWN])
    status_since = forms.DateField(label=_("状态变更日期"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = region_choices(user=user, levels=(Level.COMMUNITY,))
        self.fields["hukou_district"].queryset = Region.objects.filter(level=Level.DISTRICT)
        if editing:
            # Personal values are not sent back to the browser to be edited: blank keeps the stored one.
            for name in ("id_number", "phone", "address", "citizen_card_number"):
                self.fields[name].required = False
                self.fields[name].help_text = _("留空则不修改")
        self.fields["id_number"].widget.attrs.update({
            "autocomplete": "off", "inputmode": "text",
            "hx-post": reverse("elders:check_id"),
            "hx-trigger": "change, keyup changed delay:500ms", "hx-target": "#id-number-check",
        })


class VerifyForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("核查通过")), ("reject", _("不通过"))])
    reason = forms.CharField(label=_("说明"), max_length=200, required=False)


class DietForm(forms.Form):
    diet_notes = forms.MultipleChoiceField(label=_("饮食要求"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    allergies = forms.CharField(label=_("过敏（如花生、海鲜）"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from zhucan.elders.models import DietNote

        super().__init__(*args, **kwargs)
        self.fields["diet_notes"].choices = DietNote.choices
