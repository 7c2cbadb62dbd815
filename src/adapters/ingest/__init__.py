"""Asynchronous fronts for the core's ports, for servers that must not block on the database.

``GroupCommitWriter`` batches visits into shared transactions, ``KnownSites`` answers "does this
site exist?" from memory, and ``LocationResolver`` fills in visits' locations in the background.
None of them knows about HTTP: the web app wires them in its lifespan.
"""
