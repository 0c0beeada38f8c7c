"""An organisation's branding: its look (brand.py, a plain value), where it is kept (store.py)
and how an uploaded logo becomes a PNG Sitepack drew itself (logos.py)."""
