"""External shares: a completed export sent to people outside the organisation, one revocable
link per recipient (tokens.py, service.py), its landing page and downloads (views.py), the
emails (mail.py), the organisation's policy (policy.py) and the audit (audit.py)."""
