"""The Starlette web app: HTML pages for owners and the public beacon for visitors."""
