"""Online requests prove their email with a 6-digit code before they are anyone's visit (issue 17).

A request waiting for its code is "held": it keeps its time under the exclusion constraint. The
form's submission token is kept only as a SHA-256 digest (existing ones are hashed here, one way),
so a copy of the table cannot replay a form.
"""

import appointments.models
import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

# As models.submission_token_digest: SHA-256 of the UUID's text (lower-case, with dashes).
HASH_EXISTING_TOKENS = """
UPDATE appointments_appointment
SET submission_token_hash = encode(sha256(convert_to(submission_token::text, 'UTF8')), 'hex')
WHERE submission_token IS NOT NULL
"""


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0014_text_reply_takes_offer'),
        ('articles', '0009_content_version'),
    ]

    operations = [
        migrations.CreateModel(
            name='EmailCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('browser_hash', models.CharField(help_text='Which browser made the request (keyed hash).', max_length=64)),
                ('network_key', models.CharField(db_index=True, max_length=64)),
                ('domain_key', models.CharField(blank=True, db_index=True, max_length=64)),
                ('mailbox_key', models.CharField(db_index=True, max_length=64)),
                ('expires_at', models.DateTimeField(help_text='The time is released after this unless the code was entered.')),
                ('codes_sent', models.PositiveSmallIntegerField(default=0)),
                ('wrong_tries', models.PositiveSmallIntegerField(default=0)),
                ('proven_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='appointment',
            name='appointment_no_double_booking',
        ),
        migrations.AddField(
            model_name='appointment',
            name='submission_token_hash',
            field=models.CharField(blank=True, editable=False, help_text="SHA-256 of the online form's token, so a resubmitted form creates one appointment.", max_length=64, null=True, unique=True),
        ),
        migrations.RunSQL(HASH_EXISTING_TOKENS, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='appointment',
            name='status',
            field=models.CharField(choices=[('held', 'Awaiting email code'), ('requested', 'Requested'), ('confirmed', 'Confirmed'), ('declined', 'Declined'), ('cancelled', 'Cancelled'), ('completed', 'Completed'), ('no_show', 'No-show'), ('expired', 'Expired (no decision)')], default='requested', max_length=10),
        ),
        migrations.AlterField(
            model_name='message',
            name='kind',
            field=models.CharField(choices=[('received', 'Request received'), ('confirmed', 'Confirmed'), ('declined', 'Declined'), ('cancelled', 'Cancelled by the clinic'), ('patient_cancelled', 'Cancelled by the patient'), ('moved', 'Moved to a new time'), ('reminder', 'Reminder'), ('waitlist_offer', 'Earlier time offered'), ('clinic_notice', 'New request (clinic inbox)'), ('email_code', 'Code to prove the email address')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(condition=models.Q(('status__in', ['held', 'requested', 'confirmed'])), expressions=[(appointments.models.TsTzRange('starts_at', 'busy_until', django.contrib.postgres.fields.ranges.RangeBoundary()), '&&'), ('provider', '=')], name='appointment_no_double_booking'),
        ),
        migrations.AddField(
            model_name='emailcheck',
            name='appointment',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='email_check', to='appointments.appointment'),
        ),
        migrations.RemoveField(
            model_name='appointment',
            name='submission_token',
        ),
        migrations.AddIndex(
            model_name='emailcheck',
            index=models.Index(fields=['proven_at', 'expires_at'], name='appointment_proven__39e0cb_idx'),
        ),
    ]
