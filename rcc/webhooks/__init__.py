"""Webhooks: subscriptions, and delivery of outbox events with signatures, retries and a log."""
