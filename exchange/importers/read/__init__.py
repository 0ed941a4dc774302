"""The read stage: a source file → records (see :mod:`exchange.importers.read.records`)."""
