"""The webhook backlog, read when Prometheus scrapes (registered in MerchantsConfig.ready())."""

import logging

from prometheus_client.core import GaugeMetricFamily

from merchants.webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)


class WebhookBacklogCollector:
    """Deliveries still waiting for a receiver's acknowledgement: a growing number means
    receivers are down or the workers are behind."""

    def collect(self):
        backlog = GaugeMetricFamily("webhook_deliveries_pending", "Webhook deliveries not yet acknowledged.")
        try:
            backlog.add_metric([], WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).count())
        except Exception as exc:  # a scrape must answer even with the database down
            logger.warning("Webhook backlog not read: %s", exc.__class__.__name__)
            return
        yield backlog
