"""Forms of the chat pages: they read input; the services decide (CONTRIBUTING.md, rule 3)."""

from __future__ import annotations

from django import forms

from groupware.chat.models import ChannelKind
from groupware.chat.services import MAX_BODY


class MessageForm(forms.Form):
    body = forms.CharField(
        label="メッセージ", max_length=MAX_BODY, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ChannelForm(forms.Form):
    KINDS = [
        (ChannelKind.PROJECT, "プロジェクト(招待制・事業者も可)"),
        (ChannelKind.TOWN, "町全体(情報システム担当)"),
        (ChannelKind.UNIT, "組織(情報システム担当)"),
        (ChannelKind.COUNCIL, "協議会全体(協議会の情報システム担当)"),
    ]
    name = forms.CharField(label="チャンネル名", max_length=100)
    kind = forms.ChoiceField(label="種別", choices=KINDS, initial=ChannelKind.PROJECT)
    unit_code = forms.CharField(label="所属コード(組織のとき)", max_length=20, required=False)
    members = forms.CharField(label="招待する職員ID(空白またはカンマ区切り)", max_length=1000, required=False)
    retention_days = forms.IntegerField(label="保存日数(空欄は無期限)", required=False, min_value=1)


class PeopleForm(forms.Form):
    members = forms.CharField(label="職員ID", max_length=1000)


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(label="保存日数(空欄は無期限)", required=False, min_value=1)
