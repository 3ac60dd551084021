"""Japanese names of audit actions, for the auditors' screens and exports (codes stay stable)."""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "api_token.issue": "APIトークン発行",
    "api_token.revoke": "APIトークン失効",
    "audit.chain_broken": "監査ログ改ざん検知",
    "audit.export": "監査ログ出力",
    "audit.list": "監査ログ閲覧",
    "auth.locked_out": "ログイン停止(連続失敗)",
    "auth.login": "ログイン",
    "auth.login_failed": "ログイン失敗",
    "auth.login_refused": "ログイン拒否(所属なし)",
    "auth.logout": "ログアウト",
    "auth.otp_enrolled": "2要素認証 登録",
    "auth.otp_failed": "2要素認証 失敗",
    "auth.otp_verified": "2要素認証 成功",
    "auth.recovery_codes_regenerated": "リカバリーコード再発行",
    "job.start": "バックグラウンド処理の受付",
    "membership.grant": "所属の登録",
    "organisation.unit_create": "組織の設置",
    "organisation.unit_end": "組織の廃止",
    "organisation.post": "配属の登録",
    "organisation.post_end": "配属の終了",
    "organisation.transfer_batch": "人事異動の適用",
    "membership.started": "所属の開始",
    "membership.ended": "所属の終了",
    "municipality.provision": "自治体の登録",
    "municipality.seed": "自治体の初期設定",
    "municipality.withdraw": "自治体の脱退",
    "municipality.withdraw_export": "脱退データの書き出し",
    "municipality.withdraw_failed": "脱退処理の失敗",
    "town_switch.arrive": "自治体切替(到着)",
    "town_switch.depart": "自治体切替(出発)",
    "admin.add": "管理画面: 追加",
    "admin.change": "管理画面: 変更",
    "admin.delete": "管理画面: 削除",
    "town_setting.record": "設定: 町の設定値の登録",
}


def register(labels: dict[str, str]) -> None:
    """Business modules add the labels of their own actions when their app is ready."""
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
