"""Forms of the BCP pages: input parsing only; the rules live in bcp.disaster and bcp.csirt."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from bcp import csirt
from bcp.disaster import GRANTABLE_ROLES, MAX_GRANT_HOURS
from bcp.models import BackupSite, IncidentSeverity, IncidentStatus, PolicyKind
from tenants.models import Municipality, Person, Role

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DeclareDisasterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label="対象の町",
        queryset=Municipality.objects.none(),
        empty_label="選択してください",
        error_messages={"required": "対象の町を選択してください。", "invalid_choice": "対象の町を選択してください。"},
    )
    title = forms.CharField(label="災害名", max_length=200, error_messages={"required": "災害名を入力してください。"})
    description = forms.CharField(label="状況", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Municipality.objects.filter(
            kind=Municipality.Kind.TOWN, status=Municipality.Status.ACTIVE
        ).order_by("code")


class ConfirmForm(forms.Form):
    reason = forms.CharField(label="理由", required=False, max_length=200)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name}({obj.username})"


class GrantForm(forms.Form):
    person = PersonChoiceField(
        label="応援する職員",
        queryset=Person.objects.none(),
        empty_label="選択してください",
        error_messages={"required": "職員を選択してください。", "invalid_choice": "職員を選択してください。"},
        help_text="他の構成団体で事務職員または情報システム担当の所属を持つ職員だけが選べます。",
    )
    role = forms.ChoiceField(
        label="付与する役割",
        choices=[(role.value, role.label) for role in GRANTABLE_ROLES],
        error_messages={"required": "役割を選択してください。", "invalid_choice": "役割を選択してください。"},
    )
    hours = forms.IntegerField(
        label="有効時間(時間)",
        min_value=1,
        max_value=MAX_GRANT_HOURS,
        initial=24,
        error_messages={
            "required": "有効時間を入力してください。",
            "invalid": "有効時間は整数で入力してください。",
            "min_value": f"有効時間は 1〜{MAX_GRANT_HOURS} 時間で指定してください。",
            "max_value": f"有効時間は 1〜{MAX_GRANT_HOURS} 時間で指定してください。",
        },
    )
    note = forms.CharField(label="備考", required=False, max_length=200)

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people


class IncidentForm(forms.Form):
    title = forms.CharField(label="件名", max_length=200, error_messages={"required": "件名を入力してください。"})
    severity = forms.ChoiceField(
        label="重大度",
        choices=IncidentSeverity.choices,
        error_messages={"required": "重大度を選択してください。", "invalid_choice": "重大度を選択してください。"},
    )
    detected_at = forms.DateTimeField(
        label="検知日時",
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": "検知日時を入力してください。", "invalid": "検知日時の形式が正しくありません。"},
    )
    affected_towns = forms.ModelMultipleChoiceField(
        label="影響を受けた団体",
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(
        label="概要", widget=forms.Textarea(attrs={"rows": 5}), error_messages={"required": "概要を入力してください。"}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["affected_towns"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Municipality.objects.filter(kind=Municipality.Kind.TOWN).order_by("code")
        self.fields["detected_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class IncidentEventForm(forms.Form):
    kind = forms.ChoiceField(
        label="種別",
        choices=[(kind, csirt.EVENT_KINDS[kind]) for kind in csirt.WRITABLE_EVENT_KINDS],
        initial="action",
        error_messages={"required": "種別を選択してください。", "invalid_choice": "種別を選択してください。"},
    )
    occurred_at = forms.DateTimeField(
        label="日時",
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": "日時を入力してください。", "invalid": "日時の形式が正しくありません。"},
    )
    description = forms.CharField(
        label="内容", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "内容を入力してください。"}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class IncidentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="新しい状態",
        choices=IncidentStatus.choices,
        error_messages={"required": "状態を選択してください。", "invalid_choice": "状態を選択してください。"},
    )
    note = forms.CharField(label="補足", required=False, max_length=500)

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s, IncidentStatus(s).label) for s in csirt.TRANSITIONS.get(current, ())]


class PolicyForm(forms.Form):
    title = forms.CharField(label="表題", max_length=200, error_messages={"required": "表題を入力してください。"})
    body = forms.CharField(
        label="本文", widget=forms.Textarea(attrs={"rows": 20}), error_messages={"required": "本文を入力してください。"}
    )
    change_summary = forms.CharField(label="改定の概要", required=False, max_length=500)
    effective_on = forms.DateField(
        label="施行日",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "施行日の形式が正しくありません。"},
    )


POLICY_KINDS = dict(PolicyKind.choices)
ROLE_LABELS = dict(Role.choices)


class StartJobForm(forms.Form):
    """The dashboard's 「今すぐバックアップ」 / 「復元訓練」 buttons (docs/bcp.md §7): which town (schema), and for a
    drill which site. The services decide what may run (bcp.nights.request_backup_now, bcp.drills.request_drill)."""

    schema = forms.ChoiceField(
        label="対象",
        error_messages={"required": "対象を選択してください。", "invalid_choice": "対象を選択してください。"},
    )
    site = forms.ModelChoiceField(
        label="バックアップサイト",
        queryset=BackupSite.objects.none(),
        required=False,
        error_messages={"invalid_choice": "有効なバックアップサイトを選択してください。"},
    )

    def __init__(self, *args: Any, schemas: tuple[tuple[str, str], ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = self.fields["schema"]
        assert isinstance(schema, forms.ChoiceField)
        schema.choices = list(schemas)
        site = self.fields["site"]
        assert isinstance(site, forms.ModelChoiceField)
        site.queryset = BackupSite.objects.filter(is_active=True)
