"""The render cache: each record's PDF made once, then reused by every export that needs it.

cache.py   the index of cached PDFs (rows) and their objects (S3, under renders/)
cli.py     `flask renders warm`: render a project's records ahead of any export
"""
