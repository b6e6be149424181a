from django.db import migrations


def purge(apps, schema_editor):
    # Fingerprints were a plain SHA-256 of the body: for tokenize that is a hash of number,
    # expiry and CVC. Those rows go (a client's retry simply tokenizes again); the others
    # stay and, no longer matching the keyed fingerprint, refuse a replay (422) rather than
    # run it twice, until the prune job drops them within IDEMPOTENCY_KEY_TTL_HOURS.
    IdempotencyKey = apps.get_model("core", "IdempotencyKey")
    IdempotencyKey.objects.filter(request_path__contains="/payment-methods/tokenize").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(purge, migrations.RunPython.noop),
    ]
