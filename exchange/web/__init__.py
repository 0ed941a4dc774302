"""The web console: server-rendered pages (Starlette, Jinja2, htmx) over the store, each with a JSON twin."""
