from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from common.text import normalize_code_input


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("ログインID"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("認証コード"),
        max_length=16,
        help_text=_("認証アプリに表示される6桁の数字、またはリカバリーコードを入力してください。"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_token(self) -> str:
        return normalize_code_input(self.cleaned_data["token"])


class TotpEnrolForm(forms.Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=10,
        help_text=_("登録した認証アプリに表示される6桁の数字を入力してください。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        token = normalize_code_input(self.cleaned_data["token"])
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("6桁の数字で入力してください。"))
        return token


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("用途"), max_length=100, help_text=_("例: 令和8年度 定期監査"))
    days = forms.IntegerField(label=_("有効日数"), min_value=1, max_value=365, initial=30)
