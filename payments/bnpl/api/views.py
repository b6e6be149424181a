"""Installment endpoints: parse, call one service or selector, render."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.exceptions import NotFound
from payments.api.views import GATEWAY_ERRORS, IntentApi
from payments.bnpl.api.serializers import InstallmentListSerializer, InstallmentPaySerializer, InstallmentSerializer
from payments.bnpl.selectors import installment_get, plan_for_payment, plan_installments
from payments.bnpl.services.installments import installment_pay

TAGS = ["Payments"]


class PaymentIntentInstallmentsApi(IntentApi):
    @extend_schema(
        operation_id="payment_intents_installments_list",
        tags=TAGS,
        responses={200: InstallmentListSerializer, **ERROR_RESPONSES},
        description="The schedule of an intent paid by buy now, pay later: each installment's status, due date, "
        "attempts and last decline code. An intent without a plan answers an empty list.",
    )
    def get(self, request, payment_intent_id):
        payment = self.scoped_intent(payment_intent_id)
        plan = plan_for_payment(payment)
        body = {
            "object": "list",
            "payment_intent_id": payment.public_id,
            "plan": plan,
            "data": plan_installments(plan) if plan else [],
            "has_more": False,
        }
        return Response(InstallmentListSerializer(body).data)


class InstallmentPayApi(IntentApi):
    @extend_schema(
        operation_id="installments_pay",
        tags=TAGS,
        request=InstallmentPaySerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: InstallmentSerializer, **MUTATION_ERROR_RESPONSES, **GATEWAY_ERRORS},
        description="Pays a failed or overdue installment now, with another card (`payment_method_id`, "
        "tokenized with POST /payment-methods/tokenize) or the plan's own. 409 for any other status.",
    )
    def post(self, request, installment_id):
        serializer = InstallmentPaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        installment = installment_get(merchant_id=self.merchant.pk, installment_id=installment_id)
        credential = request.auth
        if not credential.is_secret and installment.plan.payment.reference != credential.subject:
            raise NotFound("No such installment.", param="id")
        installment = installment_pay(
            merchant_id=self.merchant.pk,
            installment_id=installment_id,
            payment_method_id=serializer.validated_data.get("payment_method_id"),
            actor=actor_for(request),
        )
        return Response(
            InstallmentSerializer(
                installment_get(merchant_id=self.merchant.pk, installment_id=installment.public_id)
            ).data
        )
