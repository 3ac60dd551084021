"""The near-real-time standby: PostgreSQL logical replication of every town schema and the public schema.

Issue 5 §5. The primary is the Django default database; a standby is a second PostgreSQL (at the inland site)
named by ``Standby.dsn_ref`` in ``settings.KYODO_STANDBY_DSNS``. Only PostgreSQL's own machinery moves data:
a publication ``FOR TABLES IN SCHEMA`` (PostgreSQL 15) on the primary, a subscription on the standby.

What logical replication does not carry, and how this module makes up for it:

* **DDL** — the table structure is copied once with ``pg_dump --schema-only`` (plus the extensions the
  schemas use), and every re-run copies the tables and columns a migration added since (``_sync_structure``).
  Until that re-run, the apply worker stops on the first change to a table the standby lacks; it retries and
  the slot keeps the WAL, so nothing is lost, and the lag alert says so.
* **Sequences** — not replicated in PostgreSQL 15. The standby's sequences stay at their start until
  :func:`promote_standby` sets each one past the largest value in use (identity/serial columns, and the
  宛名番号/世帯番号 sequences of resident_records, whose numbers carry a check digit).
* **Rows without a key** — a published table needs a replica identity, or UPDATE/DELETE on the *primary* fail.
  Tables with neither a primary key nor a replica-identity index get ``REPLICA IDENTITY FULL``.
* **Triggers** — the append-only audit and history triggers exist on the standby too (they come with the
  schema) but are ``ENABLE``d in origin mode: the apply worker runs with ``session_replication_role =
  replica``, so they never block replication, while every local session on the standby (and the promoted
  standby) is still refused an UPDATE or DELETE of audit rows.

Lag is measured by a heartbeat: :func:`measure_lag` commits a ``LagSample`` row on the primary (the table is
in ``public``, so it is replicated) and times, with one monotonic clock, how long until that row is visible on
the standby. That is the age of the newest change the standby lacks — the data a failover would lose (RPO) —
and it is right when the primary is idle too, where ``pg_stat_replication.replay_lag`` turns NULL after a
while and, for logical replication, measures when the subscriber *acknowledged* (its feedback is batched),
not when the rows became visible. ``replay_lag``/``write_lag`` and the byte distance of the slot
(``pg_wal_lsn_diff``) are kept beside it in ``Standby.details`` for diagnosis.
"""

from __future__ import annotations

from bcp.standby.connections import (
    connect_standby,
    get_standby,
    primary_conninfo,
    replicated_schemas,
    standby_dsn,
    unprotected_schemas,
)
from bcp.standby.errors import (
    InvalidStandbyName,
    NotAStandby,
    ReplicationCommandFailed,
    StandbyDsnMissing,
    StandbyError,
    StandbyNotEmpty,
    StandbyNotFound,
    StandbyRoleIsAdmin,
    StandbyRoleMissing,
    StandbySiteNotFound,
    StandbyUnreachable,
    StructureCopyFailed,
    WalLevelNotLogical,
)
from bcp.standby.lag import (
    ALERT_LAG,
    ALERT_UNPROTECTED_SCHEMA,
    check_lag,
    check_unprotected_schemas,
    is_promoted,
    measure_lag,
    prune_lag_samples,
    rpo_target_seconds,
)
from bcp.standby.promotion import (
    CHECK_DIGIT_SEQUENCES,
    PromotionReport,
    next_steps,
    promote_standby,
)
from bcp.standby.setup import (
    SetupReport,
    register_standby,
    setup_standby,
    subscription_tables_not_ready,
    wait_for_sync,
)

# The functions live in the submodules and call one another there: a test that replaces one of them must
# patch it where it is called (``bcp.standby.lag.measure_lag``), not here.
AUDIT_LABELS = {
    "bcp.standby.setup": "BCP: 待機系への論理レプリケーションを構成",
    "bcp.standby.promote": "BCP: 待機系を本番系に昇格",
}

# Every name of the module bcp/standby.py before it became a package, private ones included, so that
# ``bcp.standby.<name>`` keeps working for its callers (commands, tasks, benchmarks, tests).
__all__ = [
    "ALERT_LAG",
    "ALERT_UNPROTECTED_SCHEMA",
    "AUDIT_LABELS",
    "CHECK_DIGIT_SEQUENCES",
    "InvalidStandbyName",
    "NotAStandby",
    "PromotionReport",
    "ReplicationCommandFailed",
    "SetupReport",
    "StandbyDsnMissing",
    "StandbyError",
    "StandbyNotEmpty",
    "StandbyNotFound",
    "StandbyRoleIsAdmin",
    "StandbyRoleMissing",
    "StandbySiteNotFound",
    "StandbyUnreachable",
    "StructureCopyFailed",
    "WalLevelNotLogical",
    "check_lag",
    "check_unprotected_schemas",
    "connect_standby",
    "get_standby",
    "is_promoted",
    "measure_lag",
    "next_steps",
    "primary_conninfo",
    "promote_standby",
    "prune_lag_samples",
    "register_standby",
    "replicated_schemas",
    "rpo_target_seconds",
    "setup_standby",
    "standby_dsn",
    "subscription_tables_not_ready",
    "unprotected_schemas",
    "wait_for_sync",
]
