"""The organisation settings page: one page of sections, each a form of its own."""
