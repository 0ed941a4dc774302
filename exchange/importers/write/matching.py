"""Matching imported customers and products to the store's records, a chunk of documents at a time.

Customers: a remembered link (platform, shop, external id), then VAT id, then company id, then e-mail;
else a new customer is created and the link remembered. Products: code, then EAN, then exact name;
an unknown product is created (profile ``unknown_product: create``, needs a code) or left unlinked.

Lookups are cached for the whole run and missing keys are fetched with one query per chunk. The
caches are journaled: what was created inside a savepoint that is rolled back is forgotten again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from exchange.documents import Customer
from exchange.store.catalog import insert_products
from exchange.store.customers import insert_customers
from exchange.store.links import insert_links
from exchange.store.schema import customers, links, products
from exchange.store.types import utcnow

DEFAULT_VAT = Decimal("21")
_IN_BATCH = 900  # keep IN lists well under every backend's bound-parameter limit


def _batches(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i:i + _IN_BATCH] for i in range(0, len(values), _IN_BATCH)]


def customer_keys(customer: Customer) -> list[tuple[str, str]]:
    """The keys a customer is matched by, strongest first."""
    keys = []
    if customer.external_id.strip():
        keys.append(("ext", customer.external_id.strip()))
    if customer.vat_id.strip():
        keys.append(("vat", customer.vat_id.replace(" ", "").upper()))
    if customer.company_id.strip():
        keys.append(("cid", customer.company_id.replace(" ", "")))
    if customer.email.strip():
        keys.append(("email", customer.email.strip().lower()))
    return keys


@dataclass(slots=True)
class ProductRef:
    """What an order or invoice line tells about its product."""

    code: str
    ean: str
    name: str
    unit: str = ""
    vat_rate: Decimal | None = None


class Matcher:
    """Per-run caches of customer and product keys → local ids, filled a chunk at a time."""

    def __init__(self, *, platform: str, shop: str, create_products: bool) -> None:
        self.platform = platform
        self.shop = shop
        self.create_products = create_products
        self._customers: dict[tuple[str, str], int] = {}
        self._linked: set[str] = set()
        self._codes: dict[str, int] = {}
        self._eans: dict[str, int] = {}
        self._names: dict[str, int] = {}
        self._absent: set[tuple[str, str]] = set()
        self._journal: list[tuple[Any, Any]] = []

    # -- journal: forget what a rolled-back savepoint created ---------------------------------
    def mark(self) -> int:
        """A point to roll the caches back to."""
        return len(self._journal)

    def rollback_to(self, mark: int) -> None:
        """Forget every cache entry added since ``mark``."""
        while len(self._journal) > mark:
            container, key = self._journal.pop()
            if isinstance(container, set):
                container.discard(key)
            else:
                container.pop(key, None)

    def _remember(self, container: dict[Any, int], key: Any, value: int) -> None:
        if key not in container:
            container[key] = value
            self._journal.append((container, key))

    # -- customers ----------------------------------------------------------------------------
    def customer_ids(self, conn: Connection, batch: Sequence[Customer]) -> list[int]:
        """The local id of each customer, matched or created."""
        keyed = [customer_keys(c) for c in batch]
        missing = {key for keys in keyed if not self._cached_customer(keys) for key in keys}
        if missing:
            self._fetch_customers(conn, missing)
        result: list[int | None] = [self._cached_customer(keys) for keys in keyed]
        new_rows: list[dict[str, Any]] = []
        new_keys: list[list[tuple[str, str]]] = []
        pending: dict[tuple[str, str], int] = {}  # key → index in new_rows (one customer per key)
        for i, keys in enumerate(keyed):
            if result[i] is not None:
                continue
            same = next((pending[k] for k in keys if k in pending), None)
            if same is None:
                same = len(new_rows)
                new_rows.append(self._customer_row(batch[i]))
                new_keys.append(keys)
            for k in keys:
                pending.setdefault(k, same)
            result[i] = -1 - same  # placeholder until the insert returns ids
        if new_rows:
            ids = insert_customers(conn, new_rows)
            link_rows = []
            now = utcnow()
            for keys, cid in zip(new_keys, ids, strict=True):
                for k in keys:
                    self._remember(self._customers, k, cid)
                if keys:
                    link_rows.append(self._link_row(keys[0], cid, now))
            self._write_links(conn, link_rows)
            result = [ids[-1 - r] if r is not None and r < 0 else r for r in result]
        return [int(r) for r in result if r is not None]

    def _cached_customer(self, keys: list[tuple[str, str]]) -> int | None:
        for key in keys:
            found = self._customers.get(key)
            if found is not None:
                return found
        return None

    def _fetch_customers(self, conn: Connection, keys: set[tuple[str, str]]) -> None:
        by_kind: dict[str, list[str]] = {}
        for kind, value in keys:
            by_kind.setdefault(kind, []).append(value)
        for values in _batches(by_kind.get("ext", [])):
            rows = conn.execute(select(links.c.external_id, links.c.local_id).where(
                links.c.platform == self.platform, links.c.shop == self.shop,
                links.c.kind == "customer", links.c.external_id.in_(values)))
            for ext, local_id in rows:
                self._customers.setdefault(("ext", ext), int(local_id))
                self._linked.add(ext)
        for kind, column in (("vat", customers.c.vat_id), ("cid", customers.c.company_id),
                             ("email", customers.c.email)):
            # e-mails are compared lower-cased; customers we create store them so
            for values in _batches(by_kind.get(kind, [])):
                query = select(customers.c.id, column).where(column.in_(values)).order_by(
                    customers.c.id)
                for cid, value in conn.execute(query):
                    self._customers.setdefault((kind, value), int(cid))

    @staticmethod
    def _customer_row(customer: Customer) -> dict[str, Any]:
        now = utcnow()
        billing = customer.billing
        return {
            "name": customer.name or billing.name, "company": customer.company or billing.company,
            "company_id": customer.company_id.replace(" ", ""),
            "vat_id": customer.vat_id.replace(" ", "").upper(),
            "email": customer.email.strip().lower(), "phone": customer.phone,
            "street": billing.street, "house_number": billing.house_number, "city": billing.city,
            "postcode": billing.postcode, "country": billing.country[:2],
            "created_at": now, "updated_at": now,
        }

    def _link_row(self, key: tuple[str, str], local_id: int, now: Any) -> dict[str, Any]:
        external = key[1] if key[0] == "ext" else f"{key[0]}:{key[1]}"
        return {"platform": self.platform, "shop": self.shop, "kind": "customer",
                "external_id": external, "local_id": local_id, "created_at": now}

    def _write_links(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        fresh = []
        for row in rows:
            if row["external_id"] not in self._linked:
                self._linked.add(row["external_id"])
                self._journal.append((self._linked, row["external_id"]))
                fresh.append(row)
        insert_links(conn, fresh)

    # -- products -----------------------------------------------------------------------------
    def product_ids(self, conn: Connection, refs: Sequence[ProductRef]) -> list[int | None]:
        """The local product id of each reference; None when unknown and not created."""
        self._prefetch_products(conn, refs)
        result = [self._cached_product(r) for r in refs]
        if self.create_products:
            new: dict[str, dict[str, Any]] = {}
            now = utcnow()
            for i, ref in enumerate(refs):
                if result[i] is None and ref.code and ref.code not in new:
                    new[ref.code] = {
                        "code": ref.code, "ean": ref.ean, "name": ref.name or ref.code,
                        "unit": ref.unit or "ks",
                        "vat_rate": ref.vat_rate if ref.vat_rate is not None else DEFAULT_VAT,
                        "is_service": False, "variant_name": "", "description": "",
                        "manufacturer": "", "url": "", "image_url": "", "category": "",
                        "created_at": now, "updated_at": now,
                    }
            if new:
                rows = list(new.values())
                ids = insert_products(conn, rows)
                for row, pid in zip(rows, ids, strict=True):
                    self.remember_product(row["code"], row["ean"], row["name"], pid)
                result = [self._cached_product(r) if result[i] is None else result[i]
                          for i, r in enumerate(refs)]
        return result

    def remember_product(self, code: str, ean: str, name: str, product_id: int) -> None:
        """Tell the caches about a product created or updated in this run."""
        if code:
            self._remember(self._codes, code, product_id)
        if ean:
            self._remember(self._eans, ean, product_id)
        if name:
            self._remember(self._names, name, product_id)

    def product_id_by_code(self, conn: Connection, code: str) -> int | None:
        """The id of the product with exactly this code (cached)."""
        if code not in self._codes and ("code", code) not in self._absent:
            self._prefetch_products(conn, [ProductRef(code=code, ean="", name="")])
        return self._codes.get(code)

    def linked_product(self, conn: Connection, external_id: str) -> int | None:
        """The product remembered for this platform's id (e.g. a PrestaShop ``id_product``)."""
        found = conn.execute(select(links.c.local_id).where(
            links.c.platform == self.platform, links.c.shop == self.shop,
            links.c.kind == "product", links.c.external_id == external_id)).scalar()
        return int(found) if found is not None else None

    def _cached_product(self, ref: ProductRef) -> int | None:
        return ((ref.code and self._codes.get(ref.code)) or (ref.ean and self._eans.get(ref.ean))
                or (ref.name and self._names.get(ref.name)) or None)

    def _prefetch_products(self, conn: Connection, refs: Sequence[ProductRef]) -> None:
        # code first; EAN and name are looked up only for what the stronger keys did not find
        for kind, column, attr, cache in (("code", products.c.code, "code", self._codes),
                                          ("ean", products.c.ean, "ean", self._eans),
                                          ("name", products.c.name, "name", self._names)):
            wanted = sorted({getattr(r, attr) for r in refs
                             if getattr(r, attr) and self._cached_product(r) is None
                             and getattr(r, attr) not in cache
                             and (kind, getattr(r, attr)) not in self._absent})
            if not wanted:
                continue
            for values in _batches(wanted):
                query = select(products.c.id, column).where(column.in_(values)).order_by(
                    products.c.id)
                for pid, value in conn.execute(query):
                    cache.setdefault(value, int(pid))
            self._absent.update((kind, v) for v in wanted if v not in cache)
