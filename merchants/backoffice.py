"""Merchants' place in the back office: tenants, credentials and webhooks."""

from core.backoffice.registry import DEVELOPERS, SYSTEM, MenuItem, Tile, add_menu, add_tile
from merchants.webhooks.selectors import endpoint_failing_count


def register():
    add_menu(
        MenuItem(DEVELOPERS, "Merchants", model="merchants.Merchant", icon="storefront", order=10),
        MenuItem(DEVELOPERS, "API keys", model="merchants.ApiKey", icon="key", order=20),
        MenuItem(DEVELOPERS, "OAuth clients", model="merchants.MerchantOAuthClient", icon="badge", order=30),
        MenuItem(DEVELOPERS, "Webhook endpoints", model="merchants.WebhookEndpoint", icon="webhook", order=40),
        MenuItem(DEVELOPERS, "Events", model="merchants.Event", icon="bolt", order=50),
        MenuItem(DEVELOPERS, "Webhook deliveries", model="merchants.WebhookDelivery", icon="send", order=60),
        MenuItem(SYSTEM, "Audit trail", model="merchants.AuditEntry", icon="history", order=10),
    )
    add_tile(
        Tile(
            key="webhook_endpoints_failing",
            title="Webhook endpoints failing",
            model="merchants.WebhookEndpoint",
            query="failing=yes",
            count=endpoint_failing_count,
            description="Merchants not hearing about their payments: disabled after some days of failures.",
            order=30,
        )
    )
