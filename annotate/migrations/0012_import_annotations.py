from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0011_export_fairness"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("preview", "Preview"),
                    ("publish", "Publish"),
                    ("annotations", "W3C annotations"),
                ],
                max_length=16,
            ),
        ),
    ]
