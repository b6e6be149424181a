import django.db.models.expressions
from django.db import migrations, models


def card_amount_is_amount(apps, schema_editor):
    # Every refund before splits drew on the card alone.
    apps.get_model("refunds", "RefundRequest").objects.update(card_amount=models.F("amount"))


class Migration(migrations.Migration):
    dependencies = [("refunds", "0004_reviewers_emailed_claim")]

    operations = [
        migrations.AddField(
            model_name="refundrequest",
            name="card_amount",
            field=models.BigIntegerField(default=0, help_text="Minor units drawn on the intent's own card"),
            preserve_default=False,
        ),
        migrations.RunPython(card_amount_is_amount, migrations.RunPython.noop),
        migrations.AddField(
            model_name="refundrequest",
            name="allocations",
            field=models.JSONField(
                blank=True, default=list, help_text="[{part, type, amount}]: the split payment's parts drawn on"
            ),
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="refund_to",
            field=models.CharField(
                choices=[("original", "Original"), ("store_credit", "Store Credit")], default="original", max_length=20
            ),
        ),
        migrations.AddField(
            model_name="refundrequest",
            name="store_credit_customer_id",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddConstraint(
            model_name="refundrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("card_amount__gte", 0), ("card_amount__lte", django.db.models.expressions.F("amount"))),
                name="refund_card_amount_in_amount",
            ),
        ),
    ]
