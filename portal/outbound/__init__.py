"""Safe outbound HTTP: every request Sitepack makes to a URL someone else typed goes through
`guard` (may this URL be fetched, and at which address?) and `fetch` (dial exactly that
address, with deadlines and a byte cap). Webhooks send through `fetch.request`; link bundles
download through `download` (one URL into a temp file, its type checked by `sniff`) and
`fanout` (a bundle's URLs, a few at a time)."""
