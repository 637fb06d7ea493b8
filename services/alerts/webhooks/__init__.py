"""Outbound webhooks: subscriptions, deliveries owed with each event, the signed delivery with retries."""
