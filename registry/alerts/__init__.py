"""Alerts: agencies' webhook endpoints, the outbox of deliveries the log's changes make for
them, and the worker that sends them signed per the Standard Webhooks specification."""
