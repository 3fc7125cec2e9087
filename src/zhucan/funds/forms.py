"""Console forms of the funds capability: input shapes only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhucan.funds.services import Document


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class SubsidyApplyForm(forms.Form):
    canteen = forms.ModelChoiceField(label=_("助餐点"), queryset=None)
    evidence_note = forms.CharField(label=_("申请说明"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                    help_text=_("建设情况、面积、验收情况等。请勿填写身份证号等个人信息。"))
    documents = forms.CharField(
        label=_("佐证材料清单"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=_("每行一份：材料名称 空格 文号/编号，例如：竣工验收备案表 KFQ-2022-017"))
    files = MultipleFileField(label=_("上传材料"), required=False,
                              help_text=_("PDF、JPG 或 PNG，每个不超过 5 MB；请勿上传身份证等个人证件。"))

    def __init__(self, *args, canteens=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canteen"].queryset = canteens

    def document_list(self) -> list[Document]:
        out = []
        for line in (self.cleaned_data.get("documents") or "").splitlines():
            title, _sep, reference = line.strip().partition(" ")
            if title:
                out.append(Document(title=title, reference=reference.strip()))
        return out


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("不通过"))])
    reason = forms.CharField(label=_("意见/理由"), max_length=300, required=False)


class PaymentForm(forms.Form):
    reference = forms.CharField(label=_("支付凭证号"), max_length=64)


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
