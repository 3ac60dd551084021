"""Forms of the clerk's 戸籍 pages. They only read and check what the clerk typed; the services apply the Act.

Dates are typed in 和暦 or 西暦 (common.forms.WarekiDateField). Furigana is kept in katakana
(令和5年法律第48号): hiragana and half-width kana typed by the clerk are converted, anything else is refused.

Modules: ``fields`` (shared fields), ``search``, ``notifications`` and ``family_notifications`` (届出),
``certificates``. Callers import ``koseki.forms``.
"""

from __future__ import annotations

from koseki.forms.certificates import (
    CertificateForm,
    RequestForm,
    WideAreaIssueForm,
    WideAreaSearchForm,
)
from koseki.forms.family_notifications import (
    AcknowledgmentForm,
    ChildSurnameForm,
    DissolutionForm,
    ForeignSurnameForm,
    GivenNameChangeForm,
    MaritalSurnameForm,
    NaturalizationForm,
    NonAcceptanceForm,
    NonAcceptanceWithdrawalForm,
    SurnameChangeForm,
)
from koseki.forms.fields import (
    KATAKANA,
    KATAKANA_ERROR,
    SEX_CHOICES,
    KanaField,
    choice_field,
    date_field,
    member_choices,
    none_given,
    text_field,
)
from koseki.forms.notifications import (
    APPEARED_HELP,
    APPEARED_LABEL,
    AdoptionForm,
    BirthForm,
    CorrectionForm,
    DeathForm,
    DivorceForm,
    FuriganaForm,
    LateNoticeForm,
    MarriageForm,
    NotificationForm,
    OutsidePersonForm,
    PartyPickerMixin,
    SplitForm,
    TransferForm,
    appeared_field,
)
from koseki.forms.search import (
    PurposeForm,
    SearchForm,
)

__all__ = [
    "APPEARED_HELP",
    "APPEARED_LABEL",
    "KATAKANA",
    "KATAKANA_ERROR",
    "SEX_CHOICES",
    "AcknowledgmentForm",
    "AdoptionForm",
    "BirthForm",
    "CertificateForm",
    "ChildSurnameForm",
    "CorrectionForm",
    "DeathForm",
    "DissolutionForm",
    "DivorceForm",
    "ForeignSurnameForm",
    "FuriganaForm",
    "GivenNameChangeForm",
    "KanaField",
    "LateNoticeForm",
    "MaritalSurnameForm",
    "MarriageForm",
    "NaturalizationForm",
    "NonAcceptanceForm",
    "NonAcceptanceWithdrawalForm",
    "NotificationForm",
    "OutsidePersonForm",
    "PartyPickerMixin",
    "PurposeForm",
    "RequestForm",
    "SearchForm",
    "SplitForm",
    "SurnameChangeForm",
    "TransferForm",
    "WideAreaIssueForm",
    "WideAreaSearchForm",
    "appeared_field",
    "choice_field",
    "date_field",
    "member_choices",
    "none_given",
    "text_field",
]
