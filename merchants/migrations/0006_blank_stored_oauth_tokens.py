from django.db import migrations


def blank_tokens(apps, schema_editor):
    # Tokens are now stored only as their SHA-256 (token_checksum, which django-oauth-toolkit
    # looks them up by); the plaintext of those issued before goes.
    for name in ("AccessToken", "RefreshToken"):
        apps.get_model("oauth2_provider", name).objects.exclude(token="").update(token="")


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0005_admin_labels"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [
        migrations.RunPython(blank_tokens, migrations.RunPython.noop),
    ]
