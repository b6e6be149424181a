"""The System group: staff accounts and roles, and the internals only superusers see."""

from core.backoffice.registry import SYSTEM, MenuItem, add_menu


def register():
    add_menu(
        MenuItem(SYSTEM, "Staff users", model="auth.User", icon="person", order=10),
        MenuItem(SYSTEM, "Roles", model="auth.Group", icon="groups", order=20),
        MenuItem(SYSTEM, "Two-factor devices", model="otp_totp.TOTPDevice", icon="phonelink_lock", order=30,
                 superuser_only=True),
        MenuItem(SYSTEM, "Login lockouts", model="axes.AccessAttempt", icon="lock_person", order=40,
                 superuser_only=True),
        MenuItem(SYSTEM, "Failed logins", model="axes.AccessFailureLog", icon="report", order=45,
                 superuser_only=True),
        MenuItem(SYSTEM, "Login log", model="axes.AccessLog", icon="history", order=46, superuser_only=True),
        MenuItem(SYSTEM, "Scheduled jobs", model="django_celery_beat.PeriodicTask", icon="schedule", order=50,
                 superuser_only=True),
        MenuItem(SYSTEM, "Job intervals", model="django_celery_beat.IntervalSchedule", icon="timer", order=51,
                 superuser_only=True),
        MenuItem(SYSTEM, "Job crontabs", model="django_celery_beat.CrontabSchedule", icon="event_repeat",
                 order=52, superuser_only=True),
        MenuItem(SYSTEM, "Job solar events", model="django_celery_beat.SolarSchedule", icon="wb_twilight",
                 order=53, superuser_only=True),
        MenuItem(SYSTEM, "Job clocked times", model="django_celery_beat.ClockedSchedule", icon="alarm",
                 order=54, superuser_only=True),
        MenuItem(SYSTEM, "OAuth applications", model="oauth2_provider.Application", icon="apps", order=60,
                 superuser_only=True),
        MenuItem(SYSTEM, "OAuth access tokens", model="oauth2_provider.AccessToken", icon="token", order=61,
                 superuser_only=True),
        MenuItem(SYSTEM, "OAuth refresh tokens", model="oauth2_provider.RefreshToken", icon="token", order=62,
                 superuser_only=True),
        MenuItem(SYSTEM, "OAuth ID tokens", model="oauth2_provider.IDToken", icon="token", order=63,
                 superuser_only=True),
        MenuItem(SYSTEM, "OAuth grants", model="oauth2_provider.Grant", icon="token", order=64,
                 superuser_only=True),
    )  # fmt: skip
