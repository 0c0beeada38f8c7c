"""Bulk exports: requesting them (service), showing them (views), their queues."""
