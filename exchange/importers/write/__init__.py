"""The write stage: records → store rows (matching, document writers, catalogue writers)."""
