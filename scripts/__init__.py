"""Helpers behind `make run` and `make test`; run them as `python -m scripts.<name>`."""
