from django.urls import path

from ledger.api import views

urlpatterns = [
    path("metrics", views.MetricsApi.as_view(), name="metrics"),
    path("exports", views.ExportCreateApi.as_view(), name="exports"),
    path("exports/<str:export_id>", views.ExportDetailApi.as_view(), name="export"),
    path("exports/<str:export_id>/download", views.ExportDownloadApi.as_view(), name="export-download"),
]
