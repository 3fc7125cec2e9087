from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhucan.accounts.models import Role
from zhucan.accounts.permissions import GRANTABLE_ROLES
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen
from zhucan.regions.forms import RegionChoice
from zhucan.regions.models import Region


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class UserForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=())
    region = RegionChoice(label=_("所属辖区"), queryset=Region.objects.none(), required=False,
                          help_text=_("市、区县、街道角色及审计人员填写"))
    canteen = forms.ModelChoiceField(label=_("所属助餐点"), queryset=Canteen.objects.none(), required=False,
                                     help_text=_("助餐点负责人、收银员填写"))
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, required=False,
                               help_text=_("至少10位，不能全为数字"))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, actor, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        grantable = Role.values if actor.is_superuser else GRANTABLE_ROLES.get(actor.role, ())
        self.fields["role"].choices = [(v, label) for v, label in Role.choices if v in grantable]
        self.fields["region"].queryset = restrict(Region.objects.all(), actor, "view").filter(
            path__startswith=actor.region.path if actor.region_id else "")
        self.fields["canteen"].queryset = restrict(Canteen.objects.all(), actor, "view")
        if editing:
            self.fields["username"].disabled = True
            del self.fields["password"]
        else:
            self.fields["password"].required = True
            del self.fields["is_active"]
