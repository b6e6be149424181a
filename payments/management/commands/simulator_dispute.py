from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from payments.selectors import current_attempt, payment_intent_find
from payments.simulator import processor


class Command(BaseCommand):
    help = (
        "Play the cardholder's bank on the simulator: open a dispute on a captured payment "
        "intent, or close it as won or lost. A signed charge.dispute.* webhook follows."
    )

    def add_arguments(self, parser):
        parser.add_argument("payment_intent_id")
        parser.add_argument("--reason", default="fraudulent", choices=processor.DISPUTE_REASONS)
        parser.add_argument("--close", choices=["won", "lost"], help="Close the open dispute with this outcome")

    def handle(self, *args, payment_intent_id, reason, close, **options):
        payment = payment_intent_find(payment_intent_id=payment_intent_id)
        attempt = current_attempt(payment) if payment else None
        if attempt is None or payment.gateway != "simulator" or not attempt.gateway_reference:
            raise CommandError("No simulator charge for that payment intent.")
        try:
            if close:
                dispute = processor.charge_dispute_close(reference=attempt.gateway_reference, won=close == "won")
            else:
                dispute = processor.charge_dispute_open(reference=attempt.gateway_reference, reason=reason)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{dispute['id']}: {dispute['status']} ({dispute['amount']} {dispute['currency']})")
