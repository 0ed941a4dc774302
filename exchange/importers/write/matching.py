"""Matching imported customers and products to the store's records, a chunk of documents at a time.

Customers: a remembered link (platform, shop, external id), then VAT id, then company id, then
e-mail when the name or company agrees too; else a new customer is created and the link remembered
(see :meth:`Matcher.match_customers`). Products: code, then EAN, then exact name;
an unknown product is created (profile ``unknown_product: create``, needs a code) or left unlinked.

Lookups are cached for the whole run and missing keys are fetched with one query per chunk. The
caches are journaled: what was created inside a savepoint that is rolled back is forgotten again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from exchange.documents import Customer
from exchange.store.catalog import insert_products
from exchange.store.customers import insert_customers, update_customers
from exchange.store.links import find_link, insert_links
from exchange.store.schema import customers, links, products
from exchange.store.types import utcnow

if TYPE_CHECKING:
    from exchange.profiles import ValueMap

DEFAULT_VAT = Decimal("21")
CUSTOMER_MERGE = "customer_merge"  # the review decisions: merge_key → the customer it is
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


ANONYMOUS_LINK = "(anonymous customer)"  # the link of a shop's one-off retail customer


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    """The local customer of a document, and what a person should know about the match."""

    id: int | None
    note: str = ""


@lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    # a file names the same people again and again: each name is normalized once
    return " ".join(text.casefold().split())


def _who(customer: Customer) -> tuple[str, str]:
    """(name, company) as the customer row keeps them."""
    return (customer.name or customer.billing.name, customer.company or customer.billing.company)


def merge_key(email: str, name: str, company: str) -> str:
    """The key of a "merge with that customer" review decision: the e-mail with who uses it."""
    return f"{email.strip().casefold()}|{_norm(name)}|{_norm(company)}"


def _agrees(name: str, company: str, other_name: str, other_company: str) -> bool:
    """Whether two people sharing an e-mail are the same: the name or the company agrees.

    When either side names nobody (an e-mail alone), nothing contradicts the e-mail.
    """
    if not (name or company) or not (other_name or other_company):
        return True
    return bool((name and _norm(name) == _norm(other_name))
                or (company and _norm(company) == _norm(other_company)))


def _has_data(customer: Customer) -> bool:
    """Whether the document says anything about its customer beyond the shop's id of them."""
    return bool(customer.name or customer.company or customer.company_id or customer.vat_id
                or customer.email or customer.phone or not customer.billing.is_empty())


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

    def __init__(self, *, platform: str, shop: str, create_products: bool,
                 anonymous_customer: str = "", update_customers: bool = False,
                 merged: ValueMap | None = None) -> None:
        self.platform = platform
        # review decisions "this person sharing an e-mail is that customer" (merge_key → id)
        self.merged = merged
        self.shop = shop
        self.create_products = create_products
        self.anonymous_customer = anonymous_customer
        self.update_customers = update_customers
        self._customers: dict[tuple[str, str], int] = {}
        # e-mail → the customers using it: (id, name, company)
        self._emails: dict[str, list[tuple[int, str, str]]] = {}
        self._linked: set[str] = set()
        self._codes: dict[str, int] = {}
        self._product_links: dict[str, int] = {}  # the shop's product id → product
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
            if isinstance(container, list):
                container.pop()
            elif isinstance(container, set):
                container.discard(key)
            else:
                container.pop(key, None)

    def _remember(self, container: dict[Any, int], key: Any, value: int) -> None:
        if key not in container:
            container[key] = value
            self._journal.append((container, key))

    # -- customers ----------------------------------------------------------------------------
    def customer_ids(self, conn: Connection, batch: Sequence[Customer]) -> list[int | None]:
        """The local id of each customer, matched or created (None: no customer data at all)."""
        return [m.id for m in self.match_customers(conn, batch)]

    def match_customers(self, conn: Connection, batch: Sequence[Customer]) -> list[CustomerMatch]:
        """Match or create each customer; a match says why a person needs to look at it.

        A remembered link, the VAT id and the company id identify a customer. An e-mail does only
        when the name or the company also agrees (people share a support address, a family one
        inbox): otherwise a new customer is created and the match names the one sharing the e-mail.
        A customer with no data at all becomes the profile's ``anonymous_customer``, or none.
        """
        keyed = [customer_keys(c) for c in batch]
        strong = [[k for k in keys if k[0] != "email"] for keys in keyed]
        emails = [next((v for kind, v in keys if kind == "email"), "") for keys in keyed]
        unknown = [self._cached_customer(keys) is None for keys in strong]
        missing = {key for keys, u in zip(strong, unknown, strict=True) if u for key in keys}
        missing_emails = {e for e, u in zip(emails, unknown, strict=True)
                          if u and e and e not in self._emails}
        if missing or missing_emails:
            self._fetch_customers(conn, missing, missing_emails)
        found: list[int | None] = []
        shared: list[tuple[str, int, str] | None] = []  # (e-mail, customer, who) sharing it
        new_rows: list[dict[str, Any]] = []
        new_keys: list[list[tuple[str, str]]] = []
        new_people: list[tuple[str, str, str]] = []  # (e-mail, name, company) of new ones
        in_batch: dict[tuple[str, str], int] = {}  # key → placeholder (-1 - index in new_rows)
        batch_emails: dict[str, list[tuple[int, str, str]]] = {}
        existing: list[tuple[int, Customer]] = []
        for i, customer in enumerate(batch):
            keys = strong[i]
            cid = self._cached_customer(keys)
            if cid is None:
                cid = next((in_batch[k] for k in keys if k in in_batch), None)
            name, company = _who(customer)
            sharing: tuple[str, int, str] | None = None
            if cid is None and emails[i] and self.merged is not None:
                decided = self.merged.lookup(merge_key(emails[i], name, company))
                cid = int(decided) if decided and decided.isdigit() else None
            if cid is None and emails[i]:
                candidates = self._emails.get(emails[i], []) + batch_emails.get(emails[i], [])
                cid = next((c for c, n, co in candidates if _agrees(name, company, n, co)), None)
                if cid is None and candidates:
                    other, other_name, other_company = candidates[0]
                    sharing = (emails[i], other, other_name or other_company)
            if cid is None:
                if not _has_data(customer):
                    found.append(self._anonymous(conn) if self.anonymous_customer else None)
                    shared.append(None)
                    continue
                cid = -1 - len(new_rows)
                new_rows.append(self._customer_row(customer))
                new_keys.append(keys + ([("email", emails[i])] if emails[i] else []))
                new_people.append((emails[i], name, company))
                for k in keys:
                    in_batch.setdefault(k, cid)
                if emails[i]:
                    batch_emails.setdefault(emails[i], []).append((cid, name, company))
            elif cid > 0 and self.update_customers:
                existing.append((cid, customer))
            found.append(cid)
            shared.append(sharing)
        ids: list[int] = []
        if new_rows:
            ids = insert_customers(conn, new_rows)
            link_rows = []
            now = utcnow()
            for keys, person, cid in zip(new_keys, new_people, ids, strict=True):
                for k in keys:
                    if k[0] != "email":
                        self._remember(self._customers, k, cid)
                email, name, company = person
                if email:
                    people = self._emails.setdefault(email, [])
                    people.append((cid, name, company))
                    self._journal.append((people, None))
                if keys:
                    link_rows.append(self._link_row(keys[0], cid, now))
            self._write_links(conn, link_rows)
        if existing:
            update_customers(conn, [self._customer_row(c) | {"id": cid} for cid, c in existing])

        def real(cid: int | None) -> int | None:
            return ids[-1 - cid] if cid is not None and cid < 0 else cid

        matches = []
        for cid, sharing in zip(found, shared, strict=True):
            note = ""
            if sharing is not None:
                email, other, who = sharing
                note = (f"customer: the e-mail {email} is also that of customer #{real(other)} "
                        f"({who or 'no name'}), whose name and company differ; a new customer "
                        "was created")
            matches.append(CustomerMatch(real(cid), note))
        return matches

    def _anonymous(self, conn: Connection) -> int:
        """The shop's one-off retail customer (``anonymous_customer``), created once."""
        key = ("ext", ANONYMOUS_LINK)
        cid = self._customers.get(key)
        if cid is None:
            cid = find_link(conn, self.platform, self.shop, "customer", ANONYMOUS_LINK)
            if cid is None:
                now = utcnow()
                (cid,) = insert_customers(conn, [self._customer_row(
                    Customer(name=self.anonymous_customer))])
                self._write_links(conn, [self._link_row(key, cid, now)])
            self._remember(self._customers, key, cid)
        return cid

    def _cached_customer(self, keys: list[tuple[str, str]]) -> int | None:
        for key in keys:
            found = self._customers.get(key)
            if found is not None:
                return found
        return None

    def _fetch_customers(self, conn: Connection, keys: set[tuple[str, str]],
                         emails: set[str]) -> None:
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
        for kind, column in (("vat", customers.c.vat_id), ("cid", customers.c.company_id)):
            for values in _batches(by_kind.get(kind, [])):
                query = select(customers.c.id, column).where(column.in_(values)).order_by(
                    customers.c.id)
                for cid, value in conn.execute(query):
                    self._customers.setdefault((kind, value), int(cid))
        # e-mails are compared lower-cased; customers we create store them so
        for values in _batches(sorted(emails)):
            for value in values:
                self._emails.setdefault(value, [])
            query = select(customers.c.id, customers.c.email, customers.c.name,
                           customers.c.company).where(customers.c.email.in_(values)).order_by(
                customers.c.id)
            for row in conn.execute(query):
                self._emails[row[1]].append((int(row[0]), row[2] or "", row[3] or ""))

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
            "postcode": billing.postcode, "country": billing.country[:2], "state": billing.state,
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

    def link_products(self, conn: Connection, pairs: Sequence[tuple[str, int]]) -> None:
        """Remember the shop's product ids (``10``, ``10-3``) of matched products: one query for
        those not known yet, one insert for the new ones. A link already held keeps its product."""
        fresh = {ext: pid for ext, pid in pairs if ext and ext not in self._product_links}
        if not fresh:
            return
        for values in _batches(sorted(fresh)):
            rows = conn.execute(select(links.c.external_id, links.c.local_id).where(
                links.c.platform == self.platform, links.c.shop == self.shop,
                links.c.kind == "product", links.c.external_id.in_(values)))
            for ext, local_id in rows:
                self._remember(self._product_links, ext, int(local_id))
        now = utcnow()
        new = [(ext, pid) for ext, pid in fresh.items() if ext not in self._product_links]
        for ext, pid in new:
            self._remember(self._product_links, ext, pid)
        insert_links(conn, [{"platform": self.platform, "shop": self.shop, "kind": "product",
                             "external_id": ext, "local_id": pid, "created_at": now}
                            for ext, pid in new])

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
