"""Staff accounts for the local demo: one per role and a superuser, printed with their
passwords so the back office can be tried as each role. Refused in production."""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from core.backoffice.roles import (
    COLLECTIONS_AGENT,
    DEVELOPER,
    FINANCE_CLERK,
    FRAUD_ANALYST,
    REFUND_REVIEWER,
    SUPPORT_AGENT,
)

DEMO_STAFF = {
    "admin": None,  # superuser
    "support": SUPPORT_AGENT,
    "refunds": REFUND_REVIEWER,
    "fraud": FRAUD_ANALYST,
    "finance": FINANCE_CLERK,
    "developer": DEVELOPER,
    "collections": COLLECTIONS_AGENT,
}


class Command(BaseCommand):
    help = "Create the demo's staff accounts (one per role) if missing, and print how to sign in."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("Demo staff accounts are for local runs only.")
        # Kept in var/ (ignored by git) so the run command can print them again.
        secrets_file = settings.VAR_DIR / "demo-staff.json"
        known = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
        users = get_user_model().objects
        for username, role in DEMO_STAFF.items():
            if username in known and users.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(12)
            user = users.filter(username=username).first()
            if user is None:
                email = f"{username}@demo.invalid"
                if role is None:
                    user = users.create_superuser(username, email, password)
                else:
                    user = users.create_user(username, email, password, is_staff=True)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            if role is not None:
                user.groups.add(Group.objects.get(name=role))
            known[username] = password
        secrets_file.write_text(json.dumps(known, indent=2))
        lines = ["", f"Back office        {settings.PUBLIC_BASE_URL}/admin/   (staff, one per role)"]
        for username, role in DEMO_STAFF.items():
            lines.append(f"  {username:<10} {known[username]:<18} {role or 'superuser'}")
        if not settings.BACKOFFICE_REQUIRE_2FA:
            lines.append(
                "  Two-factor sign-in is optional here (BACKOFFICE_REQUIRE_2FA=false): set it up from the account menu."
            )
        self.stdout.write("\n".join([*lines, ""]))
