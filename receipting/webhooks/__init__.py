"""Signed webhooks: subscriptions, a transactional outbox and at-least-once delivery."""
