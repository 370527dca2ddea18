from django.db import migrations, models


def sent_already(apps, schema_editor):
    """Jobs queued or running before this migration were handed to Celery when asked for."""
    ExportJob = apps.get_model("annotate", "ExportJob")
    ExportJob.objects.filter(status__in=["queued", "running"]).update(
        dispatched_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [("annotate", "0010_import_jobs")]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="dispatched_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(sent_already, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="exportjob",
            index=models.Index(
                condition=models.Q(("status__in", ["queued", "running"])),
                fields=["requested_by", "created_at"],
                name="export_active_by_member",
            ),
        ),
    ]
