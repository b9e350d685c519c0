"""Once re-rendered stored article HTML ("sec-" anchors, no foreign images).

It imported the live Markdown renderer, so its meaning changed with every renderer change; it is
now a no-op: articles are rendered when saved, and `manage.py rerender_articles` renders them all again.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("articles", "0005_risk_factor_is_cause")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop, elidable=True)]
