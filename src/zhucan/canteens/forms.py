from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhucan.canteens.models import Canteen, PeriodName
from zhucan.core.money import MoneyError, parse_yuan
from zhucan.elders.forms import RegionChoice
from zhucan.regions.models import Level
from zhucan.regions.selectors import region_choices


class CanteenForm(forms.ModelForm):
    region = RegionChoice(label=_("所在辖区"), queryset=None)

    class Meta:
        model = Canteen
        fields = ["name", "operator", "credit_code", "food_licence", "canteen_type", "area", "region",
                  "address", "latitude", "longitude", "phone", "seats", "floor_area_m2", "opening_date", "status",
                  "open_to_public", "public_info", "service_promises"]
        widgets = {
            "opening_date": forms.DateInput(attrs={"type": "date"}),
            "public_info": forms.Textarea(attrs={"rows": 3}),
            "service_promises": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, registration: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices(user=user, levels=(Level.SUBDISTRICT, Level.COMMUNITY))
        if not registration:  # canteen managers keep only their operational fields
            for name in ["name", "operator", "credit_code", "food_licence", "canteen_type", "area", "region",
                         "address", "latitude", "longitude", "seats", "floor_area_m2", "opening_date", "status"]:
                del self.fields[name]

    def _post_clean(self):
        # Validation of substance is the service's; skip ModelForm's instance validation here.
        pass


MAX_DISH_PRICE_FEN = 10_000_000  # 100,000 yuan: anything above is a typing slip


class DishForm(forms.Form):
    name = forms.CharField(label=_("菜品"), max_length=60)
    category = forms.CharField(label=_("类别"), max_length=30, required=False)
    price = forms.CharField(label=_("价格（元）"), max_length=12)
    active = forms.BooleanField(label=_("在售"), required=False, initial=True)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)

    def clean_price(self) -> int:
        try:
            return parse_yuan(self.cleaned_data["price"], max_fen=MAX_DISH_PRICE_FEN)
        except MoneyError as exc:
            raise forms.ValidationError(gettext(exc.message_zh)) from exc


class PeriodsForm(forms.Form):
    """The three standard periods; a blank pair means the canteen does not serve that meal."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in PeriodName.choices:
            self.fields[f"{name}_start"] = forms.TimeField(label=f"{label} 开始", required=False,
                                                          widget=forms.TimeInput(attrs={"type": "time"}))
            self.fields[f"{name}_end"] = forms.TimeField(label=f"{label} 结束", required=False,
                                                        widget=forms.TimeInput(attrs={"type": "time"}))

    def periods(self):
        out = []
        for name, _label in PeriodName.choices:
            start, end = self.cleaned_data.get(f"{name}_start"), self.cleaned_data.get(f"{name}_end")
            if start and end:
                out.append((name, start, end))
            elif start or end:
                self.add_error(f"{name}_end", _("开始和结束时间须同时填写"))
        return out
