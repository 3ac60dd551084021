"""Errors of the koseki module: stable codes, Japanese messages naming the rule that refuses the request.

A ``KosekiRuleError`` is a 届出 the Family Register Act (or the Civil Code it applies) does not allow; the
service raising it has written nothing. The message names the article so the clerk can explain the refusal.
"""

from __future__ import annotations

from common.errors import ApplicationError, Conflict, NotFound, ValidationFailed


class KosekiNotFound(NotFound):
    code = "koseki_not_found"
    message = "該当する戸籍が見つかりません。"


class MemberNotFound(NotFound):
    code = "koseki_member_not_found"
    message = "該当する戸籍の記載(者)が見つかりません。"


class EntryNotFound(NotFound):
    code = "koseki_entry_not_found"
    message = "該当する記録事項が見つかりません。"


class KosekiConflict(Conflict):
    code = "koseki_conflict"
    message = "この戸籍は他の職員が先に更新しました。画面を開き直して内容を確認してから、もう一度操作してください。"


class KosekiValidationError(ValidationFailed):
    code = "koseki_validation_error"
    message = "届書の記載に誤りがあります。"


class InvalidKosekiDate(KosekiValidationError):
    code = "koseki_invalid_date"
    message = "日付が正しくありません(未来の日付、または届出日より後の事件の日は指定できません)。"


class HonsekiRequired(KosekiValidationError):
    code = "honseki_required"
    message = "新しい本籍を入力してください。"


class KosekiRuleError(ApplicationError):
    """A request the law does not allow. Subclasses carry the stable code and the article."""

    code = "koseki_rule"
    message = "戸籍法の定めにより、この届出は受理できません。"
    status_code = 409


# --- 共通 -----------------------------------------------------------------------------------------


class KosekiClosed(KosekiRuleError):
    code = "koseki_closed"
    message = "この戸籍は除籍(消除)されているため、記載できません。"


class MemberAlreadyRemoved(KosekiRuleError):
    code = "member_already_removed"
    message = "この方は既にこの戸籍から除籍されています。"


# --- 出生 (戸籍法 第18条・第17条・第49条) ---------------------------------------------------------


class BirthParentsUnknown(KosekiRuleError):
    code = "birth_parents_unknown"
    message = "子が入る戸籍を定められません。母(父母が婚姻中であれば父母)の戸籍の記載を指定してください(戸籍法第18条)。"


class BirthFatherNotSpouse(KosekiRuleError):
    code = "birth_father_not_spouse"
    message = (
        "父母が婚姻していないため、子は母の氏を称して母の戸籍に入ります(民法第790条第2項・戸籍法第18条第2項)。"
        "父の記載は認知届によります(民法第779条)。"
    )


class BirthFatherPresumed(BirthParentsUnknown):
    code = "birth_father_presumed"
    message = (
        "子は母の夫(婚姻の解消後300日以内の出生では前夫)の子と推定されます(民法第772条)。父として指定してください。"
    )


class BirthFatherNotPresumed(BirthFatherNotSpouse):
    code = "birth_father_not_presumed"
    message = (
        "届書の父は、民法第772条により推定される父ではありません。婚姻の解消から300日を過ぎて生まれた子、"
        "または婚姻前に生まれた子の父の記載は認知届によります(民法第779条)。"
    )


class ConceptionCertificateNotApplicable(KosekiRuleError):
    code = "conception_certificate_not_applicable"
    message = (
        "懐胎時期に関する証明書は、婚姻の解消後300日以内に生まれた子について、婚姻の解消後の懐胎を示す場合に限り"
        "用いることができます(民法第772条第2項)。"
    )


class FuriganaRequired(KosekiRuleError):
    code = "furigana_required"
    message = "令和7年5月26日以降の出生届には、氏名の振り仮名の記載が必要です(戸籍法第13条第2項、令和5年法律第48号)。"


# --- 婚姻 (戸籍法 第16条、民法 第731条・第732条) ------------------------------------------------


class AlreadyMarried(KosekiRuleError):
    code = "marriage_already_married"
    message = "配偶者のある者は、重ねて婚姻することができません(民法第732条)。"


class MarriageUnderAge(KosekiRuleError):
    code = "marriage_under_age"
    message = "婚姻は、18歳にならなければすることができません(民法第731条)。"


class MarriageCloseRelatives(KosekiRuleError):
    code = "marriage_close_relatives"
    message = "直系血族又は三親等内の傍系血族の間では、婚姻をすることができません(民法第734条)。"


class MarriageInLaws(KosekiRuleError):
    code = "marriage_in_laws"
    message = "直系姻族の間では、婚姻をすることができません。離婚等により姻族関係が終了した後も同様です(民法第735条)。"


class MarriageAdoptiveRelatives(KosekiRuleError):
    code = "marriage_adoptive_relatives"
    message = (
        "養子(その配偶者・直系卑属を含む)と養親又はその直系尊属との間では、離縁により親族関係が終了した後も、"
        "婚姻をすることができません(民法第736条)。"
    )


class MarriagePartiesInvalid(KosekiRuleError):
    code = "marriage_parties_invalid"
    message = "婚姻の当事者(夫・妻)の記載が正しくありません。"


# --- 離婚 (戸籍法 第19条) --------------------------------------------------------------------------


class NotMarriedToEachOther(KosekiRuleError):
    code = "divorce_not_married"
    message = "届出の夫と妻は、互いに婚姻中の配偶者として同じ戸籍に記載されていません(戸籍法第19条、民法第763条)。"


# --- 死亡 ----------------------------------------------------------------------------------------


class DeathDateInvalid(KosekiValidationError):
    code = "death_date_invalid"
    message = "死亡日が出生日より前になっています。"


# --- 分籍 (戸籍法 第21条) --------------------------------------------------------------------------


class SplitMinor(KosekiRuleError):
    code = "split_minor"
    message = "分籍は成年(18歳以上)に限られます(戸籍法第21条)。"


class SplitHeadOrSpouse(KosekiRuleError):
    code = "split_head_or_spouse"
    message = "戸籍の筆頭者及びその配偶者は分籍できません(戸籍法第21条第1項ただし書)。"


# --- 転籍 (戸籍法 第108条) --------------------------------------------------------------------------


class TransferUnknownTown(KosekiRuleError):
    code = "transfer_unknown_town"
    message = "転籍先の町がこの共同システムにありません。"


class TransferHonsekiMismatch(KosekiRuleError):
    code = "transfer_honseki_mismatch"
    message = "新本籍が転籍先の町の区域にありません(戸籍は本籍地の市町村長が管掌します、戸籍法第1条・第6条)。"


class TransferSameHonseki(KosekiRuleError):
    code = "transfer_same_honseki"
    message = "新本籍が現在の本籍と同じです。"


# --- 養子縁組 (戸籍法 第18条第3項・第17条、民法 第792条〜第795条) -------------------------------------


class AdoptionInvalid(KosekiRuleError):
    code = "adoption_invalid"
    message = "養子縁組の当事者の記載が正しくありません。"


class AdopterUnderAge(KosekiRuleError):
    code = "adoption_adopter_under_age"
    message = "20歳に達しない者は、養子をすることができません(民法第792条)。"


class AdopteeOlder(KosekiRuleError):
    code = "adoption_adoptee_older"
    message = "尊属又は年長者は、これを養子とすることができません(民法第793条)。"


class AdoptionSpouseRequired(KosekiRuleError):
    code = "adoption_spouse_required"
    message = "配偶者のある者が未成年者を養子とするには、配偶者とともにしなければなりません(民法第795条)。"


class AdoptionCourtPermissionRequired(KosekiRuleError):
    code = "adoption_court_permission_required"
    message = (
        "未成年者を養子とするには、家庭裁判所の許可が必要です(民法第798条)。許可の審判の日を入力してください"
        "(自己又は配偶者の直系卑属を養子とする場合を除きます)。"
    )


class AdoptionProxyRequired(KosekiRuleError):
    code = "adoption_proxy_required"
    message = (
        "養子となる者が15歳未満のときは、その法定代理人が代わって縁組の承諾をします。"
        "代諾者を入力してください(民法第797条)。"
    )


class AdoptionProxyNotAllowed(KosekiRuleError):
    code = "adoption_proxy_not_allowed"
    message = "15歳以上の養子は、自ら縁組の届出をします。代諾者は記載できません(民法第797条)。"


# --- 氏名の振り仮名 (令和5年法律第48号) ------------------------------------------------------------


class FuriganaNotKatakana(KosekiRuleError):
    code = "furigana_not_katakana"
    message = "振り仮名は片仮名で記載してください(戸籍法第13条第2項)。"


class FuriganaNotEntitled(KosekiRuleError):
    code = "furigana_not_entitled"
    message = "この届出人は、この振り仮名の届をすることができません。"


class FuriganaNothingToRecord(KosekiRuleError):
    code = "furigana_nothing_to_record"
    message = "記載する振り仮名がありません。"


class FuriganaTooEarly(KosekiRuleError):
    code = "furigana_too_early"
    message = "この日付では振り仮名の記載はできません(令和5年法律第48号の施行日を確認してください)。"


# --- 職権訂正 (戸籍法 第24条) -----------------------------------------------------------------------


class CorrectionReasonRequired(KosekiValidationError):
    code = "correction_reason_required"
    message = "訂正(消除)の理由を入力してください。"


class EntryAlreadyStruck(KosekiRuleError):
    code = "entry_already_struck"
    message = "この記録事項は既に消除されています。訂正後の事項を訂正してください。"


class CorrectionFieldsInvalid(KosekiValidationError):
    code = "correction_fields_invalid"
    message = "訂正後の記録事項は「項目名」と「内容」の組で入力してください。"


# --- 氏名の変更 (戸籍法 第107条・第107条の2) ---------------------------------------------------------


class NameChangeInvalid(KosekiRuleError):
    code = "name_change_invalid"
    message = "この氏又は名の変更の届出は受理できません。"


# --- 不受理申出 (戸籍法 第27条の2) -------------------------------------------------------------------


class NonAcceptanceRefused(KosekiRuleError):
    code = "non_acceptance_refused"
    message = "当事者から不受理申出がされているため、この届出は受理できません(戸籍法第27条の2第3項)。"


# --- 認知・離縁・入籍・婚氏続称・帰化 -------------------------------------------------------------------


class AcknowledgmentInvalid(KosekiRuleError):
    code = "acknowledgment_invalid"
    message = "この認知の届出は受理できません。"


class DissolutionInvalid(KosekiRuleError):
    code = "dissolution_invalid"
    message = "この養子離縁の届出は受理できません。"


class SurnameFilingInvalid(KosekiRuleError):
    code = "surname_filing_invalid"
    message = "この氏の届出(入籍・婚氏続称)は受理できません。"


class NaturalizationInvalid(KosekiValidationError):
    code = "naturalization_invalid"
    message = "帰化・国籍取得の届書の記載に誤りがあります。"
