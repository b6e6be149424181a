from django.urls import path

from payments.simulator import views

app_name = "simulator"

urlpatterns = [
    path("3ds/<str:reference>", views.challenge, name="challenge"),
]
