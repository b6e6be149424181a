"""Outbound webhooks: endpoints merchants subscribe, signed deliveries, retries, the log.

The outbox is `merchants.models.Event` (written by `merchants.events.event_emit`); this
package fans each committed event out to one delivery per matching endpoint and
per-session callback, and `merchants.webhook_delivery` sends them.
"""
