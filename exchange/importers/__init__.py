"""Importers: shop XML files read with a profile into canonical documents, then stored."""
