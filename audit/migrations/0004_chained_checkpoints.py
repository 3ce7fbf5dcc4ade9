"""Chained checkpoints (format /2): ``Checkpoint.previous_hash`` and ``AuditHead.checkpoint_hash``.

Existing checkpoints are /1 checkpoints and keep an empty ``previous_hash``. Adding a
column with a constant default changes no row: PostgreSQL records the default in the
catalogue, and no UPDATE runs that the append-only triggers (migration 0003) would
refuse. The database keeps the default, so an INSERT that leaves the column out still
works. The head's ``checkpoint_hash`` starts empty; the next checkpoint reads the newest
checkpoint's digest instead (audit.services.trail).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_append_only_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="audithead",
            name="checkpoint_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="checkpoint",
            name="previous_hash",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=64,
                verbose_name="föregående kontrollpunkts hash",
            ),
        ),
    ]
