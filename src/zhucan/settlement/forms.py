"""Console forms of settlement (Chinese labels; the services validate again)."""

from __future__ import annotations

import re
from datetime import date

from django import forms

from zhucan.regions.models import Region
from zhucan.settlement.models import StatementStatus

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(text: str) -> date:
    """'2025-06' → date(2025, 6, 1); ValueError otherwise."""
    match = _MONTH.match(text or "")
    if not match:
        raise ValueError(text)
    return date(int(match.group(1)), int(match.group(2)), 1)


class MonthField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "结算月份")
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month", "placeholder": "2025-06"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError:
            raise forms.ValidationError("月份格式应为 YYYY-MM") from None


class GenerateForm(forms.Form):
    month = MonthField()
    district = forms.ModelChoiceField(queryset=Region.objects.none(), required=False, label="区县（可选）",
                                      empty_label="本辖区全部")

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if districts is not None:
            self.fields["district"].queryset = districts


class FilterForm(forms.Form):
    month = MonthField(required=False)
    district = forms.ModelChoiceField(queryset=Region.objects.none(), required=False, label="区县",
                                      empty_label="全部")
    status = forms.ChoiceField(choices=[("", "全部"), *StatementStatus.choices], required=False, label="状态")

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if districts is not None:
            self.fields["district"].queryset = districts


class ReportForm(forms.Form):
    month = MonthField()
    district = forms.ModelChoiceField(queryset=Region.objects.none(), required=False, label="区县",
                                      empty_label="本辖区全部")

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if districts is not None:
            self.fields["district"].queryset = districts


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", max_length=500, widget=forms.TextInput(attrs={"size": 40}))


class ResolveForm(forms.Form):
    regenerate = forms.TypedChoiceField(label="处理方式", coerce=lambda v: v == "1",
                                        choices=[("1", "按台账重新生成，助餐点重新确认"), ("0", "维持原结算单")])
    note = forms.CharField(label="说明", max_length=500, widget=forms.TextInput(attrs={"size": 40}))


class PayForm(forms.Form):
    reference = forms.CharField(label="拨付凭证号", max_length=64)


class MismatchForm(forms.Form):
    accept = forms.TypedChoiceField(label="结论", coerce=lambda v: v == "1",
                                    choices=[("1", "认可"), ("0", "驳回")])
    note = forms.CharField(label="说明（驳回时必填）", max_length=200, required=False)
