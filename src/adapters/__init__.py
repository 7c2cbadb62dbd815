"""Adapters: the outside world (databases, HTTP services, clocks) behind the core's ports."""
