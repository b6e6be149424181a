from django.urls import path

from reconciliation.api import views

urlpatterns = [
    path("reconciliation/statements", views.StatementUploadApi.as_view(), name="reconciliation-statements"),
    path(
        "reconciliation/statements/<str:statement_id>",
        views.StatementDetailApi.as_view(),
        name="reconciliation-statement",
    ),
    path("reconciliation/reports/<str:day>", views.ReportDetailApi.as_view(), name="reconciliation-report"),
]
