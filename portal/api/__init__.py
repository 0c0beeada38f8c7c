"""/api/v1: JSON in and out, authenticated by API keys, documented by OpenAPI.

One blueprint; each resource's routes live in their own module and join it. The blueprint
is exempt from CSRF (no cookie authenticates it) and checks the key before every view.
"""
