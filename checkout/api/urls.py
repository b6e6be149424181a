from django.urls import path

from checkout.api import views

urlpatterns = [
    path("sessions", views.SessionListCreateApi.as_view(), name="sessions"),
    path("sessions/<str:checkout_id>", views.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<str:checkout_id>/refresh", views.SessionRefreshApi.as_view(), name="session-refresh"),
    path("sessions/<str:checkout_id>/timeline", views.SessionTimelineApi.as_view(), name="session-timeline"),
]
