"""Importing shop files, by stage: ``read`` (file → records), ``write`` (records → rows), ``run`` (one file).

* :mod:`exchange.importers.read` — the source file scanned once, schema validation, record elements,
  the one-pass extractor, the builders with their converters and countries: one
  :class:`~exchange.importers.read.records.Record` per document (optionally in a reader process);
* :mod:`exchange.importers.write` — matching customers and products, the order and invoice writers,
  the product and stock writers (their SQL is the store's);
* :mod:`exchange.importers.run` — :func:`~exchange.importers.run.run_import` drives both stages for
  one :class:`~exchange.importers.run.ImportRequest` and keeps history, quarantine and the
  ``processed_files`` row; :mod:`exchange.importers.report` is what it returns.
"""
