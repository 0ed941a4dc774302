"""The ERP store's tables (SQLAlchemy Core), as of the newest migration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from exchange.store.types import Dec, UtcDateTime

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, default=""),
    Column("company", String(300), nullable=False, default=""),
    Column("company_id", String(50), nullable=False, default=""),
    Column("vat_id", String(50), nullable=False, default=""),
    Column("email", String(300), nullable=False, default=""),
    Column("phone", String(100), nullable=False, default=""),
    Column("street", String(300), nullable=False, default=""),
    Column("house_number", String(50), nullable=False, default=""),
    Column("city", String(200), nullable=False, default=""),
    Column("postcode", String(30), nullable=False, default=""),
    Column("country", String(2), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("state", String(100), nullable=False, server_default=""),  # migration 13
    Index("ix_customers_vat_id", "vat_id"),
    Index("ix_customers_company_id", "company_id"),
    Index("ix_customers_email", "email"),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(100), nullable=False, unique=True),
    Column("ean", String(50), nullable=False, default=""),
    Column("name", String(500), nullable=False),
    Column("unit", String(20), nullable=False, default="ks"),
    Column("vat_rate", Dec, nullable=False),
    Column("is_service", Boolean, nullable=False, default=False),
    Column("parent_id", Integer, ForeignKey("products.id", ondelete="SET NULL"), nullable=True),
    Column("variant_name", String(300), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("manufacturer", String(200), nullable=False, default=""),
    Column("url", String(1000), nullable=False, default=""),
    Column("image_url", String(1000), nullable=False, default=""),
    Column("category", String(500), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_products_ean", "ean"),
    Index("ix_products_name", "name"),
    Index("ix_products_updated_at", "updated_at"),
)

product_labels = Table(
    "product_labels",
    metadata,
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("label", String(100), primary_key=True),
)

price_lists = Table(
    "price_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("currency", String(3), nullable=False, default="CZK"),
    Column("includes_vat", Boolean, nullable=False, default=True),
)

product_prices = Table(
    "product_prices",
    metadata,
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "price_list_id", Integer, ForeignKey("price_lists.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("amount", Dec, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(50), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "warehouse_id", Integer, ForeignKey("warehouses.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("on_hand", Dec, nullable=False),
    Column("reserved", Dec, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

stock_moves = Table(
    "stock_moves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column(
        "warehouse_id", Integer, ForeignKey("warehouses.id", ondelete="CASCADE"), nullable=False
    ),
    Column("kind", String(20), nullable=False),  # receipt, adjustment, reserve, release
    Column("quantity", Dec, nullable=False),
    Column("reference", String(300), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop", String(100), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("number", String(100), nullable=False),
    Column("status", String(30), nullable=False),
    Column("shop_status", String(200), nullable=False, default=""),
    Column("ordered_at", UtcDateTime, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=True),
    Column("payment_method", String(200), nullable=False, default=""),
    Column("shipping_method", String(200), nullable=False, default=""),
    Column("total", Dec, nullable=True),
    Column("prices_include_vat", Boolean, nullable=False, default=True),
    Column("note", Text, nullable=False, default=""),
    Column("billing_address", JSON, nullable=False),
    Column("delivery_address", JSON, nullable=False),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), nullable=True),
    Column("point_of_sale", String(100), nullable=False, default=""),
    Column("content_hash", String(64), nullable=False),
    Column("review_reason", Text, nullable=False, default=""),
    Column("source_file", String(500), nullable=False, default=""),
    Column("imported_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # migration 7: the money model
    Column("total_net", Dec, nullable=True),
    Column("total_vat", Dec, nullable=True),
    Column("rounding", Dec, nullable=True),
    Column("vat_breakdown", JSON, nullable=True),
    Column("exchange_rate", Dec, nullable=True),
    Column("home_currency_total", Dec, nullable=True),
    Column("paid", Boolean, nullable=True),
    Column("amount_paid", Dec, nullable=True),
    Column("paid_at", UtcDateTime, nullable=True),
    Column("payment_code", String(200), nullable=False, server_default=""),
    Column("shipping_code", String(200), nullable=False, server_default=""),
    Column("pickup_point_id", String(100), nullable=False, server_default=""),
    Column("pickup_point_name", String(300), nullable=False, server_default=""),
    Column("tracking_number", String(200), nullable=False, server_default=""),
    Column("modified_at", UtcDateTime, nullable=True),  # migration 9: the shop's last change
    UniqueConstraint("shop", "external_id", name="uq_orders_shop_external_id"),
    Index("ix_orders_ordered_at", "ordered_at"),  # migration 2
    Index("ix_orders_status", "status"),  # migration 2
    Index("ix_orders_shop_status_ordered_at", "shop", "status", "ordered_at"),  # migration 4
    Index("ix_orders_held", "shop", "review_reason", sqlite_where=text("review_reason != ''"),
          postgresql_where=text("review_reason != ''")),  # migration 4
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=True),
    Column("code", String(100), nullable=False, default=""),
    Column("ean", String(50), nullable=False, default=""),
    Column("name", String(500), nullable=False),
    Column("variant", String(300), nullable=False, default=""),
    Column("quantity", Dec, nullable=False),
    Column("unit", String(20), nullable=False, default=""),
    Column("unit_price", Dec, nullable=False),
    Column("vat_rate", Dec, nullable=True),
    Column("discount_percent", Dec, nullable=False),
    Column("line_total", Dec, nullable=True),
    # migration 7: both VAT bases of each line
    Column("unit_price_gross", Dec, nullable=True),
    Column("unit_price_net", Dec, nullable=True),
    Column("line_total_gross", Dec, nullable=True),
    Column("line_total_net", Dec, nullable=True),
    Index("ix_order_lines_order_id", "order_id"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop", String(100), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("number", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("tax_date", Date, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("variable_symbol", String(50), nullable=False, default=""),
    Column("order_number", String(100), nullable=False, default=""),
    Column("currency", String(3), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=True),
    Column("payment_method", String(200), nullable=False, default=""),
    Column("total", Dec, nullable=True),
    Column("prices_include_vat", Boolean, nullable=False, default=True),
    Column("note", Text, nullable=False, default=""),
    Column("content_hash", String(64), nullable=False),
    Column("review_reason", Text, nullable=False, default=""),
    Column("source_file", String(500), nullable=False, default=""),
    Column("imported_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # migration 7: the money model
    Column("total_net", Dec, nullable=True),
    Column("total_vat", Dec, nullable=True),
    Column("rounding", Dec, nullable=True),
    Column("vat_breakdown", JSON, nullable=True),
    Column("exchange_rate", Dec, nullable=True),
    Column("home_currency_total", Dec, nullable=True),
    Column("paid", Boolean, nullable=True),
    Column("amount_paid", Dec, nullable=True),
    Column("paid_at", UtcDateTime, nullable=True),
    Column("payment_code", String(200), nullable=False, server_default=""),
    Column("shipping_code", String(200), nullable=False, server_default=""),
    Column("pickup_point_id", String(100), nullable=False, server_default=""),
    Column("pickup_point_name", String(300), nullable=False, server_default=""),
    Column("tracking_number", String(200), nullable=False, server_default=""),
    Column("delivery_address", JSON, nullable=True),  # migration 7: the ship-to address
    # migration 10: the received order an issued document was realised from
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("shop", "external_id", name="uq_invoices_shop_external_id"),
    Index("ix_invoices_issued_on", "issued_on"),  # migration 2
    Index("ix_invoices_order_id", "order_id"),  # migration 10
    Index("ix_invoices_held", "shop", "review_reason", sqlite_where=text("review_reason != ''"),
          postgresql_where=text("review_reason != ''")),  # migration 4
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=True),
    Column("code", String(100), nullable=False, default=""),
    Column("name", String(500), nullable=False),
    Column("quantity", Dec, nullable=False),
    Column("unit", String(20), nullable=False, default=""),
    Column("unit_price", Dec, nullable=False),
    Column("vat_rate", Dec, nullable=True),
    Column("discount_percent", Dec, nullable=False),
    Column("line_total", Dec, nullable=True),  # migration 7
    # migration 7: both VAT bases of each line
    Column("unit_price_gross", Dec, nullable=True),
    Column("unit_price_net", Dec, nullable=True),
    Column("line_total_gross", Dec, nullable=True),
    Column("line_total_net", Dec, nullable=True),
    Index("ix_invoice_lines_invoice_id", "invoice_id"),
)

links = Table(
    "links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(50), nullable=False),
    Column("shop", String(100), nullable=False),
    Column("kind", String(30), nullable=False),  # customer, product, order, invoice
    Column("external_id", String(300), nullable=False),
    Column("local_id", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("platform", "shop", "kind", "external_id", name="uq_links_external"),
)

processed_files = Table(
    "processed_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(500), nullable=False),
    Column("name", String(500), nullable=False),
    Column("size", Integer, nullable=False),
    Column("mtime", UtcDateTime, nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("status", String(20), nullable=False),  # seen, downloaded, imported, partial, failed
    Column("report", JSON, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_processed_files_sha256", "sha256"),
    Index("ix_processed_files_source_name", "source", "name"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job", String(200), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("status", String(20), nullable=False),  # running, ok, warning, failed
    Column("summary", JSON, nullable=True),
    # who ran it (host:pid:suffix of the lease holder), so a run whose holder died reads as abandoned
    Column("holder", String(200), nullable=False, server_default=""),
    Index("ix_runs_job_started", "job", "started_at"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    Column("job", String(200), nullable=False, default=""),
    Column("at", UtcDateTime, nullable=False),
    Column("level", String(10), nullable=False),  # info, warning, error
    Column("kind", String(50), nullable=False),  # imported, updated, skipped, failed, pushed, …
    Column("document", String(300), nullable=False, default=""),
    Column("message", Text, nullable=False, default=""),
    Column("details", JSON, nullable=True),
    Index("ix_events_at", "at"),
    Index("ix_events_run_id", "run_id"),
    Index("ix_events_kind_at", "kind", "at"),  # migration 2
    Index("ix_events_document", "document"),  # migration 2
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("endpoint", String(1000), nullable=False),
    Column("local_path", String(1000), nullable=False),
    Column("remote_name", String(500), nullable=False),
    Column("status", String(20), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Index("ix_outbox_status_id", "status", "id"),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("job", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

task_deliveries = Table(
    # how often the broker handed one task to a worker (scale-out): redelivery is bounded by it
    "task_deliveries",
    metadata,
    Column("task", String(200), primary_key=True),  # the task id and its retry number
    Column("job", String(200), nullable=False),
    Column("deliveries", Integer, nullable=False),
    Column("first_at", UtcDateTime, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
)

feed_publications = Table(
    "feed_publications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed", String(200), nullable=False),
    Column("destination", String(1000), nullable=False, default=""),  # job:NAME, an endpoint URL, output:PATH
    Column("status", String(20), nullable=False),  # published, held, queued, failed, unchanged
    Column("item_count", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("output", String(1000), nullable=False, default=""),
    Column("report", JSON, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_feed_publications_feed", "feed", "id"),
)

# Migration 2: the console's remembered review decisions and its users.
mapping_decisions = Table(
    "mapping_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop", String(100), nullable=False),
    Column("profile", String(200), nullable=False),
    Column("field", String(50), nullable=False),  # the value map: status, payment, shipping, …
    Column("value", String(300), nullable=False),  # the shop's value, as the file has it
    Column("target", String(300), nullable=False),  # the canonical value it maps to
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    UniqueConstraint("shop", "profile", "field", "value", name="uq_mapping_decisions_value"),
)

console_users = Table(
    "console_users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("password_hash", String(300), nullable=False),  # argon2id, never the password
    Column("created_at", UtcDateTime, nullable=False),
)

# Migration 3: what each feed destination shows.
feed_destination_codes = Table(
    "feed_destination_codes",
    metadata,
    Column("feed", String(200), primary_key=True),
    Column("destination", String(1000), primary_key=True),
    Column("code", String(100), primary_key=True),
)

# Migration 5: what an http(s) source answered last, for conditional requests (ETag,
# If-Modified-Since) on the next pull.
http_validators = Table(
    "http_validators",
    metadata,
    Column("source", String(1000), primary_key=True),  # the endpoint's URL (no secret in it)
    Column("url", String(2000), primary_key=True),  # the document's URL
    Column("etag", String(500), nullable=False, server_default=""),
    Column("last_modified", String(100), nullable=False, server_default=""),
    Column("sha256", String(64), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Migration 10: ERP handoff — numbering series of issued documents, and what the ERP was handed.
number_series = Table(
    "number_series",
    metadata,
    Column("series", String(50), primary_key=True),  # the document kind: invoice, receipt, …
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

erp_handoffs = Table(
    # one row per document and ERP format: what was sent (its content hash) and what the ERP said
    "erp_handoffs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # orders, invoices
    Column("document_id", Integer, nullable=False),
    Column("format", String(20), nullable=False),  # pohoda, isdoc
    Column("content_hash", String(64), nullable=False),  # of the document as it was sent
    Column("pack_item", String(100), nullable=False),  # the dataPackItem id the response names
    Column("sent_at", UtcDateTime, nullable=False),
    Column("output", String(1000), nullable=False, server_default=""),
    Column("erp_state", String(20), nullable=False),  # sent, booked, warning, error
    Column("erp_id", String(100), nullable=False, server_default=""),
    Column("erp_number", String(100), nullable=False, server_default=""),
    Column("erp_note", Text, nullable=False, server_default=""),
    Column("answered_at", UtcDateTime, nullable=True),
    UniqueConstraint("kind", "document_id", "format", name="uq_erp_handoffs_document"),
    Index("ix_erp_handoffs_pack_item", "pack_item"),
    Index("ix_erp_handoffs_state", "erp_state"),
)

# Migration 11: shop return — the ERP's changes of each order going back to its shop, what each
# status destination confirmed, and the import watermark per shop and document kind.
order_status_events = Table(
    # one row per change the ERP made to an order; its id is the cursor destinations advance over
    "order_status_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("shop", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # status, tracking, paid, realised, cancelled
    Column("status", String(30), nullable=False),  # the order's ERP status after the change
    Column("tracking_number", String(200), nullable=False, server_default=""),
    Column("carrier", String(200), nullable=False, server_default=""),
    Column("paid", Boolean, nullable=True),  # set only by a payment the ERP recorded
    Column("paid_at", UtcDateTime, nullable=True),
    Column("amount_paid", Dec, nullable=True),
    Column("reference", String(200), nullable=False, server_default=""),  # e.g. the issued document
    Column("source", String(20), nullable=False),  # cli, realise, payment
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_order_status_events_order", "order_id", "id"),
    Index("ix_order_status_events_shop", "shop", "id"),
)

order_status_out = Table(
    # the outgoing state of each order (what its shop should show), as of its last event
    "order_status_out",
    metadata,
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("shop", String(100), nullable=False),
    Column("status", String(30), nullable=False),
    Column("tracking_number", String(200), nullable=False, server_default=""),
    Column("carrier", String(200), nullable=False, server_default=""),
    Column("paid", Boolean, nullable=True),
    Column("paid_at", UtcDateTime, nullable=True),
    Column("amount_paid", Dec, nullable=True),
    Column("last_event_id", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_order_status_out_shop_event", "shop", "last_event_id"),
)

status_destinations = Table(
    # per destination: the newest event it confirmed, and an export in the outbox not yet delivered
    "status_destinations",
    metadata,
    Column("destination", String(1000), primary_key=True),
    Column("confirmed_event_id", Integer, nullable=False, server_default="0"),
    Column("pending_event_id", Integer, nullable=True),  # what the queued export carries up to
    Column("pending_entries", JSON, nullable=True),  # its outbox entry ids
    Column("updated_at", UtcDateTime, nullable=False),
)

import_watermarks = Table(
    # the newest document time imported per shop and kind (UTC); older unknown documents are skipped
    "import_watermarks",
    metadata,
    Column("shop", String(100), primary_key=True),
    Column("kind", String(20), primary_key=True),  # orders, invoices
    Column("watermark", UtcDateTime, nullable=False),
    Column("set_by", String(20), nullable=False),  # import, config, reset
    Column("updated_at", UtcDateTime, nullable=False),
)

# Migration 12: shop return — the ERP payment kind and sync mode the payment map gave each order.
order_payments = Table(
    "order_payments",
    metadata,
    Column("shop", String(100), primary_key=True),
    Column("external_id", String(100), primary_key=True),
    Column("kind", String(50), nullable=False),  # the ERP's payment kind (draft, delivery, …)
    Column("sync", String(10), nullable=False),  # shop | erp
    Column("mapped", Boolean, nullable=False),  # False: the default was taken
    Column("updated_at", UtcDateTime, nullable=False),
)
