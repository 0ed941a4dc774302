"""Exporter tests."""
