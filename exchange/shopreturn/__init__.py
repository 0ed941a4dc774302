"""Shop return: the ERP's order status, payments and tracking back to the shop; import watermarks."""
