"""No two live bookings of one facility overlap, enforced by PostgreSQL (docs/domain/groupware.md §3).

The embedded PostgreSQL has no contrib extensions (no btree_gist), so the facility id is compared as a
one-point int8range with the core GiST range opclass rather than as a plain integer with ``=``.
Cancelled and rejected bookings free their slot.
"""

from django.db import migrations

CONSTRAINT = (
    "ALTER TABLE groupware_booking ADD CONSTRAINT gw_booking_no_overlap EXCLUDE USING gist "
    "(int8range(facility_id, facility_id, '[]') WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
    "WHERE (status IN ('pending', 'confirmed'))"
)


class Migration(migrations.Migration):
    dependencies = [("groupware", "0001_initial")]

    operations = [
        migrations.RunSQL(CONSTRAINT, "ALTER TABLE groupware_booking DROP CONSTRAINT gw_booking_no_overlap"),
    ]
