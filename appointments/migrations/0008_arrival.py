"""Check-in: when the patient arrived, and who may record it (front desk and clinicians, staff/roles.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0007_insights_permission'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='appointment',
            options={'ordering': ['starts_at'], 'permissions': [('view_schedule', 'Can view the day and week schedule'), ('triage_appointment', 'Can confirm, decline and cancel requests'), ('record_attendance', 'Can mark appointments completed or no-show'), ('record_arrival', 'Can check a patient in as arrived'), ('export_appointment', 'Can export appointments as CSV'), ('view_insights', "Can view the clinic's figures (aggregates, no patient detail)")]},
        ),
        migrations.AddField(
            model_name='appointment',
            name='arrived_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When the front desk checked the patient in.', null=True, verbose_name='arrived'),
        ),
    ]
