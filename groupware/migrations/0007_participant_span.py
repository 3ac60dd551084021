"""The participant's copy of its entry's span, and the indexes a calendar read in a range uses
(docs/domain/groupware.md §2.3): (person, end, start) on the participants, (end, start) on the entries."""

from django.db import migrations, models

BACKFILL = """
    UPDATE groupware_eventparticipant p SET starts_at = e.starts_at, series_ends_at = e.series_ends_at
    FROM groupware_event e WHERE e.id = p.event_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("groupware", "0006_notification_kind_meeting"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventparticipant",
            name="starts_at",
            field=models.DateTimeField(null=True, verbose_name="開始"),
        ),
        migrations.AddField(
            model_name="eventparticipant",
            name="series_ends_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最終回の終了"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="eventparticipant",
            name="starts_at",
            field=models.DateTimeField(verbose_name="開始"),
        ),
        migrations.RemoveIndex(model_name="event", name="gw_event_range"),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["series_ends_at", "starts_at"], name="gw_event_span"),
        ),
        migrations.AddIndex(
            model_name="eventparticipant",
            index=models.Index(fields=["person_id", "series_ends_at", "starts_at"], name="gw_participant_span"),
        ),
    ]
