"""ERP handoff: realising orders into issued documents, POHODA and ISDOC out, the ERP's answers in."""
