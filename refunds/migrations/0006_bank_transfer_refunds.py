import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0005_split_and_store_credit_refunds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="refundrequest",
            options={
                "permissions": [
                    ("approve_refund", "Can approve, reject, query and retry refund requests"),
                    ("send_refund_transfer", "Can mark refund bank transfers as sent"),
                ]
            },
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="transfer_iban",
            field=models.CharField(blank=True, help_text="Where the refund's transfer goes", max_length=34),
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="transfer_account_holder",
            field=models.CharField(blank=True, max_length=70),
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="transfer_account_source",
            field=models.CharField(
                blank=True, choices=[("statement", "Statement"), ("request", "Request")], max_length=10
            ),
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="transfer_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="transfer_sent_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="transfer_bank_reference",
            field=models.CharField(
                blank=True, help_text="The bank's reference of the outgoing transfer", max_length=100
            ),
        ),
        migrations.AddConstraint(
            model_name="refundrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("transfer_iban", ""),
                    models.Q(models.Q(("transfer_account_holder", ""), _negated=True), ("refund_to", "original")),
                    _connector="OR",
                ),
                name="refund_transfer_account_complete",
            ),
        ),
    ]
