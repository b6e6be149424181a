"""Staff roles: permission groups, each seeing only its menus (the sidebar shows what a
user may view). Created by core's data migration; an app that adds models gives them
to roles from its own data migration with `grant_role_permissions`.
"""

SUPPORT_AGENT = "Support agents"
REFUND_REVIEWER = "Refund reviewers"
# fraud's own migration made this group first (fraud.selectors.ANALYST_GROUP); the roles
# migration adds the payment and order reads an analyst needs beside the queue.
FRAUD_ANALYST = "Fraud analysts"
FINANCE_CLERK = "Finance clerks"
DEVELOPER = "Developers"
# Buy now, pay later's dunning: plans, installments and the overdue list, and the three
# installment actions. Its permissions come from bnpl's own data migration.
COLLECTIONS_AGENT = "Collections agents"

_SHOPPING_READ = [
    "payments.view_paymenttransaction",
    "checkout.view_order",
    "checkout.view_checkoutsession",
    "refunds.view_refundrequest",
    "refunds.view_dispute",
]

ROLES: dict[str, list[str]] = {
    # Answers shoppers and merchants: reads payments, orders and refunds, asks for a refund.
    SUPPORT_AGENT: [
        *_SHOPPING_READ,
        "refunds.add_refundrequest",
        "checkout.view_finalizationjob",
        "payments.view_giftcard",
        "payments.view_storecreditaccount",
        "merchants.view_merchant",
    ],
    # Decides refunds above the automatic rules (never their own: the service checks).
    REFUND_REVIEWER: [
        *[name for name in _SHOPPING_READ if name != "checkout.view_checkoutsession"],
        "refunds.add_refundrequest",
        "refunds.approve_refund",
    ],
    # Works the review queue and keeps the rules and lists.
    FRAUD_ANALYST: [
        "payments.view_paymenttransaction",
        "checkout.view_order",
        "fraud.view_fraudreview",
        "fraud.change_fraudreview",
        "fraud.view_fraudassessment",
        "fraud.review_fraudassessment",
        "fraud.view_fraudalert",
        "fraud.view_fraudrule",
        "fraud.add_fraudrule",
        "fraud.change_fraudrule",
        "fraud.view_listentry",
        "fraud.add_listentry",
        "fraud.change_listentry",
        "fraud.delete_listentry",
    ],
    # Money in and out: payments, refunds, disputes, wallets (and reconciliation, ledger
    # and exports as those apps grant them).
    FINANCE_CLERK: [
        *_SHOPPING_READ,
        "payments.view_giftcard",
        # Issuing (one, or a CSV of them) and disabling cards: each through the services,
        # with its ledger row; balances are never edited.
        "payments.add_giftcard",
        "payments.change_giftcard",
        "payments.view_storecreditaccount",
        "payments.view_splitpayment",
        "payments.view_gatewayevent",
    ],
    # Merchants' integrations: keys (never their hashes), OAuth clients, webhooks.
    DEVELOPER: [
        "merchants.view_merchant",
        "merchants.view_apikey",
        "merchants.change_apikey",
        "merchants.view_merchantoauthclient",
        "merchants.view_webhookendpoint",
        "merchants.change_webhookendpoint",
        "merchants.view_event",
        "merchants.change_event",
        "merchants.view_webhookdelivery",
        "merchants.change_webhookdelivery",
        "payments.view_gatewayevent",
    ],
}


def ensure_permissions(apps) -> None:
    """Permissions are normally made after all migrations ran; a data migration that
    hands them out needs them now."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration's historical apps have no models module; create_permissions skips
        # those unless told otherwise.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original


def grant_role_permissions(apps, roles: dict[str, list[str]]) -> None:
    """Adds "app_label.codename" permissions to the named roles (created if missing).
    For data migrations: `grant_role_permissions(apps, {FINANCE_CLERK: ["ledger.view_payout"]})`."""
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in roles.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [name.split(".", 1) for name in names]
        perms = list(
            Permission.objects.filter(
                content_type__app_label__in={app for app, _ in wanted}, codename__in={code for _, code in wanted}
            ).select_related("content_type")
        )
        found = {f"{p.content_type.app_label}.{p.codename}" for p in perms}
        missing = set(names) - found
        if missing:
            raise LookupError(f"{role}: no such permission(s): {sorted(missing)}")
        group.permissions.add(*[p for p in perms if f"{p.content_type.app_label}.{p.codename}" in set(names)])
