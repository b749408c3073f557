"""The class a clinician chose for a medicine name the table does not know (issue #26
re-test: a misspelt "warfrin" was read as harmless). SQLite rebuilds the table to add the
column and drops its triggers with it: the list guards are dropped first and created
again after (acuback.row_guards)."""

from django.db import migrations, models

from acuback import row_guards


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0005_list_entries_refuse_delete'),
    ]

    operations = [
        migrations.RunPython(row_guards.drop("screening_lists"),
                             row_guards.create("screening_lists")),
        migrations.AddField(
            model_name='medication',
            name='chosen_class',
            field=models.CharField(blank=True, choices=[('anticoagulant', 'Anticoagulant (blood thinner)'), ('antiplatelet', 'Antiplatelet'), ('corticosteroid', 'Long-term corticosteroid'), ('immunosuppressant', 'Immunosuppressant'), ('none', 'None of these classes')], max_length=20, verbose_name='class'),
        ),
        migrations.RunPython(row_guards.create("screening_lists"),
                             row_guards.drop("screening_lists")),
    ]
