"""``make bench`` (``python -m bench``): the beacon against a bare Starlette app, same load.

See ``bench/__main__.py`` for what is measured and how.
"""
