"""Safe outbound HTTP: every request Sitepack makes to a URL someone else typed (webhooks,
and later link bundles) goes through `guard` (may this URL be fetched, and at which
address?) and `fetch` (dial exactly that address, with deadlines and a byte cap)."""
