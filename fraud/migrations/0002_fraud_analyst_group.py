"""The "Fraud analysts" permission group: sees the review queue, approves or rejects,
edits rules and block/allow lists. Staff are made analysts by adding them to it."""

from django.db import migrations

GROUP = "Fraud analysts"
PERMISSIONS = {
    "fraudassessment": ["view", "review"],
    "fraudreview": ["view", "change"],
    "fraudalert": ["view"],
    "fraudrule": ["view", "add", "change", "delete"],
    "listentry": ["view", "add", "change", "delete"],
}


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; the group needs them now.
    app_config = apps.get_app_config("fraud")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{verb}_{model}" for model, verbs in PERMISSIONS.items() for verb in verbs]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="fraud", codename__in=codenames))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fraud", "0001_fraud_rules_assessments_lists"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
