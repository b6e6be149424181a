from django.urls import path

from fraud.api import views

urlpatterns = [
    path("kyc/<str:kyc_id>/documents", views.KycDocumentsApi.as_view(), name="kyc-documents"),
    path("kyc/<str:kyc_id>/complete", views.KycCompleteApi.as_view(), name="kyc-complete"),
    path("webhook/fraud", views.FraudWebhookApi.as_view(), name="webhook-fraud"),
    path("fraud/provider-secret", views.ProviderSecretApi.as_view(), name="fraud-provider-secret"),
    path("tx-limits", views.TxLimitsApi.as_view(), name="tx-limits"),
    path("fraud/rules", views.RuleListApi.as_view(), name="fraud-rules"),
    path("fraud/rules/<str:rule_id>", views.RuleDetailApi.as_view(), name="fraud-rule"),
    path("fraud/list-entries", views.ListEntryListApi.as_view(), name="fraud-list-entries"),
    path("fraud/list-entries/<str:entry_id>", views.ListEntryDetailApi.as_view(), name="fraud-list-entry"),
    path("fraud/assessments/<str:assessment_id>", views.AssessmentDetailApi.as_view(), name="fraud-assessment"),
    path("fraud/reviews", views.ReviewListApi.as_view(), name="fraud-reviews"),
    path("fraud/reviews/<str:review_id>/approve", views.ReviewApproveApi.as_view(), name="fraud-review-approve"),
    path("fraud/reviews/<str:review_id>/reject", views.ReviewRejectApi.as_view(), name="fraud-review-reject"),
]
