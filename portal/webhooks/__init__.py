"""Webhooks: organisations hear about their exports at URLs their admins register.

catalogue (the event types) · outbox (rows written with the change they announce) ·
payload (what an event says) · signing (Standard Webhooks headers) · delivery (one attempt,
retries, disabling) · endpoints (what admins do) · notices (the email when one is disabled).
"""
