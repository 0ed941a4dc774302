"""Exporters: price-list and stock feeds rendered from the store through Jinja templates."""
