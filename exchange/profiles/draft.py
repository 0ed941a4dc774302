"""A starting profile drafted from any sample file (``exchange profiles new --from SAMPLE.xml``).

The record is the most repeated element under the root that has child elements; leaves whose
names mean a canonical field (in English, Czech, Polish, German and French, with or without
separators) are mapped, the billing and delivery address by the element they sit in; the line
group is the repeated element of a record whose children look like lines. Statuses and payment
methods seen become maps to finish (``# map me``); everything left unmapped is listed as comments
with an example value. The draft loads as a profile and reads the sample it came from.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from lxml import etree

from exchange.errors import ConfigError, ExchangeError, XmlSyntaxError
from exchange.importers.read.elements import iter_elements
from exchange.importers.read.repair import RepairLog
from exchange.profiles.check import XSI_NIL
from exchange.profiles.vocabulary import DocumentKind

_MAX_RECORDS = 500  # records read to learn the shape and the values
_FIT_RECORDS = 200  # records each way of reading the money is tried on


# Canonical fields of the record, each with the element names that mean it, best first
# (normalised: lower case, no accents, no separators).
RECORD_NAMES: dict[DocumentKind, dict[str, tuple[str, ...]]] = {
    DocumentKind.ORDERS: {
        "external_id": ("id", "orderid", "entityid", "idorder", "idobjednavky", "objednavkaid",
                        "idzamowienia", "bestellid", "idcommande"),
        "number": ("ordernumber", "number", "incrementid", "orderno", "ordernr", "cislo",
                   "cisloobjednavky", "numerzamowienia", "bestellnummer", "numerocommande", "code"),
        "created_at": ("createdat", "datecreated", "orderdate", "dateadd", "date", "created",
                       "datum", "datumvytvoreni", "datazamowienia", "bestelldatum", "datecommande"),
        "status": ("status", "orderstatus", "currentstate", "state", "stav", "stan", "statut",
                   "bestellstatus", "financialstatus", "paymentstatus"),
        "currency": ("currency", "currencycode", "ordercurrencycode", "mena", "kodmeny", "waluta",
                     "wahrung", "devise", "basecurrencycode"),
        "total": ("total", "grandtotal", "totalprice", "ordertotal", "totalamount", "totalincltax",
                  "celkem", "cenacelkem", "celkovacena", "suma", "razem", "wartosc", "gesamt",
                  "gesamtbetrag", "gesamtsumme", "totalttc", "montanttotal", "basegrandtotal"),
        "payment_method": ("paymentmethodtitle", "paymentmethod", "paymenttype", "payment",
                           "platba", "zpusobplatby", "platnosc", "metodaplatnosci", "zahlungsart",
                           "zahlungsmethode", "modepaiement", "paiement", "gateway"),
        "shipping_method": ("shippingmethod", "shippingdescription", "shippinglinemethodtitle",
                            "shippinglinetitle", "shippingmethods",
                            "carrier", "doprava", "zpusobdopravy", "dostawa", "sposobdostawy",
                            "versandart", "livraison", "modelivraison"),
        "note": ("note", "customernote", "comment", "poznamka", "uwagi", "notiz", "bemerkung",
                 "remarque", "commentaire"),
    },
    DocumentKind.INVOICES: {
        "external_id": ("id", "invoiceid", "entityid", "idfaktury", "idfaktury", "rechnungsid"),
        "number": ("number", "invoicenumber", "incrementid", "cislo", "cislofaktury",
                   "numerfaktury", "rechnungsnummer", "numerofacture"),
        "issued_on": ("issuedon", "issuedate", "invoicedate", "date", "createdat", "datum",
                      "datumvystaveni", "datawystawienia", "rechnungsdatum", "datefacture"),
        "due_on": ("dueon", "duedate", "datumsplatnosti", "splatnost", "terminplatnosci",
                   "faelligkeitsdatum", "dateecheance"),
        "tax_date": ("taxdate", "duzp", "datumplneni", "datasprzedazy", "leistungsdatum"),
        "currency": ("currency", "currencycode", "mena", "waluta", "wahrung", "devise"),
        "total": ("total", "grandtotal", "totalamount", "celkem", "suma", "razem", "gesamt",
                  "totalttc"),
        "variable_symbol": ("variablesymbol", "vs", "varsym", "symbolvariabilni"),
        "order_number": ("ordernumber", "orderid", "cisloobjednavky", "bestellnummer"),
        "payment_method": ("paymentmethod", "payment", "platba", "zpusobplatby", "platnosc",
                           "zahlungsart", "modepaiement"),
        "note": ("note", "comment", "poznamka", "uwagi", "notiz", "remarque"),
    },
    DocumentKind.PRODUCTS: {
        "code": ("sku", "code", "productcode", "itemcode", "kod", "kodproduktu", "artikelnummer",
                 "artnr", "reference", "productnumber"),
        "name": ("name", "productname", "title", "nazev", "nazwa", "bezeichnung", "artikelname",
                 "designation", "nom"),
        "ean": ("ean", "barcode", "gtin", "ean13"),
        "price": ("pricevat", "priceincltax", "pricewithvat", "price", "cena", "cenasdph",
                  "cenabrutto", "preis", "prix", "prixttc"),
        "price_excl": ("priceexcltax", "pricewithoutvat", "cenabezdph", "cenanetto", "prixht"),
        "vat_rate": ("vatrate", "vat", "taxrate", "taxpercent", "dph", "sazbadph", "stawkavat",
                     "mwst", "mwstsatz", "tauxtva", "tva"),
        "unit": ("unit", "jednotka", "jednostka", "einheit", "unite"),
        "description": ("description", "shortdescription", "popis", "opis", "beschreibung"),
        "manufacturer": ("manufacturer", "brand", "vyrobce", "znacka", "producent", "hersteller",
                         "marque", "fabricant"),
        "url": ("url", "link", "producturl", "odkaz"),
        "image_url": ("imageurl", "image", "imgurl", "obrazek", "zdjecie", "bild"),
        "category": ("category", "categorytext", "kategorie", "kategoria", "categorie"),
        "item_type": ("itemtype", "producttype", "typ", "type"),
        "stock": ("stock", "qty", "quantity", "stockamount", "sklad", "mnozstvi", "stan",
                  "lagerbestand", "stockquantity"),
    },
}
# The buyer's fields, read in a billing, delivery or customer element, or with its prefix.
PARTY_NAMES: dict[str, tuple[str, ...]] = {
    "first_name": ("firstname", "givenname", "krestnijmeno", "jmeno", "imie", "vorname", "prenom"),
    "last_name": ("lastname", "surname", "familyname", "prijmeni", "nazwisko", "nachname", "nom"),
    "name": ("name", "fullname", "jmenoaprijmeni"),
    "company": ("company", "companyname", "firma", "spolecnost", "nazevfirmy", "unternehmen",
                "societe", "entreprise", "organization"),
    "street": ("street", "streetstring", "street1", "address1", "addressline1", "address",
               "ulice", "adresa", "ulica", "strasse", "rue", "adresse"),
    "street2": ("street2", "address2", "addressline2"),
    "city": ("city", "town", "mesto", "obec", "miasto", "miejscowosc", "stadt", "ort", "ville"),
    "postcode": ("postcode", "postalcode", "zip", "zipcode", "psc", "kodpocztowy", "plz",
                 "postleitzahl", "codepostal"),
    "country": ("country", "countrycode", "countryid", "zeme", "stat", "kraj", "land", "pays"),
    "email": ("email", "mail", "emailaddress", "eposta"),
    "phone": ("phone", "telephone", "tel", "telefon", "mobile", "phonenumber", "telefonnummer"),
    "vat_id": ("vatid", "vatnumber", "taxvat", "dic", "nip", "ustid", "ustidnr", "tva", "numerotva",
               "taxid"),
    "company_id": ("companyid", "ico", "regon", "crn", "companynumber", "siret", "siren",
                   "registrationnumber"),
}
_CUSTOMER_ONLY = frozenset({"email", "phone", "vat_id", "company_id"})
_CONTEXTS = {
    "billing": ("billing", "billingaddress", "billto", "bill", "invoiceaddress", "invoice",
                "fakturacni", "fakturacniadresa", "faktura", "rechnungsadresse", "rechnung",
                "facturation", "adressefacturation", "platnik"),
    "delivery": ("shipping", "shippingaddress", "shipto", "delivery", "deliveryaddress", "doruceni",
                 "dodaci", "dodaciadresa", "adresdostawy", "dostawa", "lieferadresse", "lieferung",
                 "livraison", "adresselivraison"),
    "customer": ("customer", "buyer", "zakaznik", "klient", "kunde", "client", "odberatel",
                 "nabywca"),
}
LINE_NAMES: dict[str, tuple[str, ...]] = {
    "code": ("sku", "code", "productcode", "itemcode", "kod", "kodproduktu", "artikelnummer",
             "artnr", "reference", "ref", "productnumber"),
    "ean": ("ean", "barcode", "gtin", "ean13"),
    "name": ("name", "productname", "title", "itemname", "nazev", "nazwa", "nazwaproduktu",
             "bezeichnung", "artikelname", "designation", "libelle", "nom"),
    "quantity": ("quantity", "qty", "qtyordered", "amount", "count", "mnozstvi", "pocet", "ilosc",
                 "menge", "anzahl", "quantite"),
    "unit_price": ("unitprice", "price", "priceincltax", "pricewithvat", "unitpricewithvat", "cena",
                   "cenasdph", "jednotkovacena", "cenajednostkowa", "cenabrutto", "preis",
                   "einzelpreis", "prix", "prixunitaire"),
    "line_total": ("linetotal", "rowtotal", "total", "itemtotal", "celkem", "cenacelkem",
                   "razem", "gesamtpreis", "montant"),
    "line_tax": ("totaltax", "taxamount", "linetax", "rowtax", "vatamount", "castkadph",
                 "kwotavat", "steuerbetrag", "montanttva"),
    "vat_rate": ("vatrate", "taxpercent", "taxrate", "vatpercent", "vat", "dph", "sazbadph",
                 "stawkavat", "mwst", "mwstsatz", "steuersatz", "tauxtva", "tva"),
}
STATUS_NAMES: dict[str, tuple[str, ...]] = {
    "new": ("new", "pending", "pendingpayment", "awaiting", "open", "placed", "received", "nova",
            "nowe", "neu", "nouveau"),
    "confirmed": ("confirmed", "accepted", "paid", "authorized", "potvrzena", "zaplacena"),
    "processing": ("processing", "inprogress", "vyrizujese", "wrealizacji", "inbearbeitung",
                   "encours"),
    "shipped": ("shipped", "sent", "dispatched", "fulfilled", "odeslana", "wyslane", "versandt",
                "expedie"),
    "delivered": ("delivered", "complete", "completed", "done", "closed", "vyrizena", "dorucena",
                  "dostarczone", "geliefert", "livre"),
    "cancelled": ("cancelled", "canceled", "storno", "stornovana", "zrusena", "anulowane",
                  "storniert", "annule", "failed"),
    "returned": ("returned", "refunded", "vracena", "zwrocone", "erstattet", "rembourse"),
    "on_hold": ("onhold", "hold", "holded", "pozastavena", "wstrzymane", "angehalten", "enattente"),
}
# Record-level amounts of the shipping, best first: a shipping line is drafted from one of them
# when the sample's totals add up with it (orders only).
SHIPPING_AMOUNTS = ("shippingincltax", "shippingamount", "totalshipping", "shippingtotal",
                    "shippingprice", "shippinglineprice", "shippingcost", "shippinglinetotal",
                    "cenadopravy", "dopravacena", "cenadostawy", "kosztdostawy", "versandkosten",
                    "fraisdeport", "fraislivraison")
SHIPPING_TAXES = ("shippingtaxamount", "shippingtax", "shippinglinetax", "shippingvat")
_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d. %m. %Y %H:%M:%S",
                 "%d. %m. %Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
                 "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d",
                 "%Y%m%d%H%M%S", "%Y%m%d")
_DATE_FIELDS = frozenset({"created_at", "issued_on", "due_on", "tax_date"})


def normalised(name: str) -> str:
    """An element name as it is matched: lower case, no accents, no separators."""
    plain = unicodedata.normalize("NFKD", name)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in plain if not unicodedata.combining(c)).lower())


@dataclass
class Leaf:
    """One leaf element path of the records (relative to the record) and what it held."""

    path: tuple[str, ...]
    count: int = 0
    values: Counter[str] = field(default_factory=Counter)

    @property
    def text(self) -> str:
        """The path as a profile writes it."""
        return "/".join(self.path)

    @property
    def example(self) -> str | None:
        """A value seen, if any."""
        return next(iter(self.values), None)


@dataclass
class Draft:
    """A drafted profile: its YAML text and what was mapped."""

    text: str
    record: str
    lines_path: str | None
    mapped: list[str]
    unmapped: int


def _local(tag: object) -> str | None:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else None


def _root_of(sample: Path) -> tuple[str, dict[str, str]]:
    """The root element's local name and the namespace prefixes declared on it."""
    try:
        with sample.open("rb") as stream:
            for _event, elem in etree.iterparse(stream, events=("start",), resolve_entities=False,
                                                no_network=True, load_dtd=False, huge_tree=False):
                nsmap = {p: u for p, u in elem.nsmap.items() if p}
                return _local(elem.tag) or "", nsmap
    except etree.XMLSyntaxError as exc:
        raise XmlSyntaxError(f"{sample}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {sample}: {exc.strerror}") from None
    raise XmlSyntaxError(f"{sample}: no root element")


def _record_path(root: etree._Element, root_name: str) -> tuple[str, ...]:
    """The record: walking down from the root, the first element that repeats or holds leaves."""
    counts: Counter[tuple[str, ...]] = Counter()

    def walk(elem: etree._Element, path: tuple[str, ...]) -> None:
        for child in elem:
            name = _local(child.tag)
            if name is not None and len(child):
                counts[(*path, name)] += 1
                walk(child, (*path, name))

    walk(root, (root_name,))
    path: tuple[str, ...] = (root_name,)
    elem = root
    while True:
        if any(_local(c.tag) is not None and not len(c) for c in elem):
            return path  # it holds values of its own
        child = next((c for c in elem if _local(c.tag) is not None and len(c)), None)
        if child is None:
            return path
        path, elem = (*path, _local(child.tag) or ""), child
        if counts[path] > 1:
            return path


def _leaves(records: Iterable[etree._Element]) -> dict[tuple[str, ...], Leaf]:
    """Every leaf path of the records, counted as each record is read (records are freed after)."""
    found: dict[tuple[str, ...], Leaf] = {}

    def walk(elem: etree._Element, path: tuple[str, ...]) -> None:
        for child in elem:
            name = _local(child.tag)
            if name is None:
                continue
            if len(child):
                walk(child, (*path, name))
                continue
            leaf = found.setdefault((*path, name), Leaf((*path, name)))
            leaf.count += 1
            value = (child.text or "").strip()
            if value and child.get(XSI_NIL) not in ("true", "1"):
                leaf.values[value] += 1

    for record in records:
        walk(record, ())
    return found


def _context(path: tuple[str, ...]) -> str | None:
    for step in reversed(path):
        norm = normalised(step)
        for context, words in _CONTEXTS.items():
            if norm in words or any(norm.startswith(w) for w in words[:2]):
                return context
    return None


def _party_field(leaf: Leaf) -> tuple[str, str, int] | None:
    """(context, party field, rank of the name) of a leaf that holds a buyer's field."""
    *parents, name = leaf.path
    norm = normalised(name)
    context = _context(tuple(parents))
    candidates = [norm]
    if parents:
        candidates.append(normalised(parents[-1]) + norm)  # street/string → streetstring
    if context is None:
        for ctx, words in _CONTEXTS.items():
            for word in words:
                if norm.startswith(word) and norm != word:
                    context, candidates = ctx, [norm[len(word):]]
                    break
            if context:
                break
    for party, names in PARTY_NAMES.items():
        for rank, synonym in enumerate(names):
            if synonym in candidates:
                return (context or "none", party, rank)
    return None


_CONTEXT_RANK = {
    "customer": {"customer": 0, "billing": 1, "none": 2, "delivery": 3},
    "billing": {"billing": 0, "customer": 1, "none": 2},
    "delivery": {"delivery": 0},
}


def _party_target(context: str, party: str) -> list[tuple[str, int]]:
    """The canonical fields a party leaf may fill, with the rank of its context for each."""
    targets: list[tuple[str, int]] = []
    if party in _CUSTOMER_ONLY or party in ("name", "company"):
        rank = _CONTEXT_RANK["customer"].get(context)
        if rank is not None and (party in _CUSTOMER_ONLY or context == "customer"):
            targets.append((f"customer.{party}", rank))
    if party not in _CUSTOMER_ONLY:
        for group in ("billing", "delivery"):
            rank = _CONTEXT_RANK[group].get(context)
            if rank is not None:
                targets.append((f"{group}.{party}", rank))
    return targets


def _best(candidates: dict[str, list[tuple[tuple[int, ...], Leaf]]]) -> dict[str, Leaf]:
    chosen: dict[str, Leaf] = {}
    used: set[tuple[str, ...]] = set()
    for name, options in candidates.items():
        for _rank, leaf in sorted(options, key=lambda o: o[0]):
            if leaf.path not in used:
                chosen[name] = leaf
                used.add(leaf.path)
                break
    return chosen


def _by_names(leaves: Iterable[Leaf], names: dict[str, tuple[str, ...]],
              *, nested: bool) -> dict[str, list[tuple[tuple[int, ...], Leaf]]]:
    candidates: dict[str, list[tuple[tuple[int, ...], Leaf]]] = {}
    for leaf in leaves:
        *parents, name = leaf.path
        parent = normalised(parents[-1]) if parents else ""
        if not parents or parent in (normalised(name) + "s", normalised(name) + "es"):
            form = normalised(name)  # also IMAGES/IMAGE: a list of one kind counts as the item
        elif nested:  # a nested leaf counts by its parent's name too: payment/method → paymentmethod
            form = parent + normalised(name)
        else:
            continue
        for canonical, synonyms in names.items():
            if form in synonyms:
                score = (len(parents), synonyms.index(form), 0 if leaf.values else 1)
                candidates.setdefault(canonical, []).append((score, leaf))
    return candidates


def _line_group(leaves: dict[tuple[str, ...], Leaf]) -> tuple[str, ...] | None:
    """The element inside a record whose leaf children look most like a line's."""
    groups: dict[tuple[str, ...], set[str]] = {}
    for path in leaves:
        if len(path) < 2:
            continue
        norm = normalised(path[-1])
        for canonical, synonyms in LINE_NAMES.items():
            if norm in synonyms:
                groups.setdefault(path[:-1], set()).add(canonical)
    scored = [(len(found), "quantity" in found, -len(group), group)
              for group, found in groups.items() if len(found) >= 2 and _context(group) is None]
    return max(scored)[3] if scored else None


def _date_format(values: Iterable[str]) -> str | None:
    """None when the values are ISO dates, else the first strptime format that reads them all."""
    sample = list(values)[:50]
    try:
        for v in sample:
            datetime.fromisoformat(v)
        return None
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            for v in sample:
                datetime.strptime(v, fmt)  # noqa: DTZ007 - only the format is learnt
            return fmt
        except ValueError:
            continue
    return None


def _naive(values: Iterable[str]) -> bool:
    """True when the sample's dates carry no UTC offset."""
    for value in list(values)[:20]:
        try:
            return datetime.fromisoformat(value).tzinfo is None
        except ValueError:
            return True  # a strptime format: naive
    return False


def _guess_status(value: str) -> str | None:
    norm = normalised(value)
    for status, names in STATUS_NAMES.items():
        if norm in names:
            return status
    return None


_PLAIN = re.compile(r"^[A-Za-z_][\w./@-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


def _q(text: str) -> str:
    """A YAML scalar: plain when safe, else a JSON string (which YAML reads the same)."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _elements(sample: Path, record: str,
              repairs: RepairLog) -> Generator[etree._Element, None, None]:
    # read as recover: true would: a sample with raw '&' is drafted with recover on
    yield from iter_elements(sample, (record,), repairs=repairs)


def draft_profile(sample: Path, name: str, kind: DocumentKind = DocumentKind.ORDERS) -> Draft:
    """Draft a profile named ``name`` that reads ``sample`` as ``kind``.

    Raises:
        XmlSyntaxError: the sample is not well-formed, hostile or undecodable.
        ConfigError: the kind cannot be drafted.
    """
    if kind not in RECORD_NAMES:  # stock files are too varied to guess
        raise ConfigError(f"a profile can be drafted for {', '.join(RECORD_NAMES)}; not {kind}")
    root_name, namespaces = _root_of(sample)
    repairs = RepairLog()
    with closing(_elements(sample, "/" + root_name, repairs)) as whole:
        record = _record_path(next(whole), root_name)
    record_text = "/" + "/".join(record)
    repaired = [r.warning() for r in repairs.pending]
    with closing(_elements(sample, record_text, RepairLog())) as records:
        leaves = _leaves(elem for _, elem in zip(range(_MAX_RECORDS), records, strict=False))
    lines_path = _line_group(leaves) if kind in (DocumentKind.ORDERS, DocumentKind.INVOICES) else None
    line_leaves = {p: leaf for p, leaf in leaves.items()
                   if lines_path is not None and p[:len(lines_path)] == lines_path}
    record_leaves = [leaf for p, leaf in leaves.items() if p not in line_leaves]
    flat = [leaf for leaf in record_leaves if _context(leaf.path[:-1]) is None]
    chosen = _best(_by_names(flat, RECORD_NAMES[kind], nested=True))
    if kind is not DocumentKind.PRODUCTS:
        party: dict[str, list[tuple[tuple[int, ...], Leaf]]] = {}
        for leaf in record_leaves:
            found = _party_field(leaf)
            if found is None or leaf.path in {c.path for c in chosen.values()}:
                continue
            context, field_name, rank = found
            for target, context_rank in _party_target(context, field_name):
                party.setdefault(target, []).append(
                    ((context_rank, rank, len(leaf.path), 0 if leaf.values else 1), leaf))
        taken = {leaf.path for leaf in chosen.values()}
        for target, leaf in _best(party).items():
            if target not in chosen and (leaf.path not in taken or target.startswith("customer.")):
                chosen[target] = leaf
    lines: dict[str, Leaf] = {}
    if lines_path is not None:
        relative = [Leaf(p[len(lines_path):], leaf.count, leaf.values) for p, leaf in line_leaves.items()]
        lines = _best(_by_names(relative, LINE_NAMES, nested=False))
    def render(fit: Fit) -> str:
        return _render(name, sample, kind, record_text, namespaces, chosen, lines_path, lines,
                       leaves, line_leaves, repaired, fit)

    fits = _fits(kind, record_leaves, lines)
    fit = _best_fit(render, fits, sample) if len(fits) > 1 else fits[0]
    text = render(fit)
    mapped = sorted(chosen) + [f"lines.{fit.price_key}" if n == "unit_price" else f"lines.{n}"
                               for n in sorted(lines)]
    if fit.shipping is not None:
        mapped.append("totals_lines.shipping")
    unmapped = sum(1 for leaf in leaves.values() if leaf.values) - len(chosen) - len(lines)
    return Draft(text=text, record=record_text, lines_path="/".join(lines_path) if lines_path else None,
                 mapped=mapped, unmapped=max(unmapped, 0))


@dataclass(frozen=True)
class Fit:
    """How the drafted money is read: the line price's basis and the shipping line, if any."""

    price_key: str = "unit_price"  # or unit_price_excl
    shipping: tuple[Leaf, str] | None = None  # (amount, unit_price or unit_price_excl)
    shipping_tax: Leaf | None = None


def _fits(kind: DocumentKind, flat: list[Leaf], lines: dict[str, Leaf]) -> list[Fit]:
    """The ways of reading the money worth trying on the sample, the likeliest first."""
    if kind is not DocumentKind.ORDERS:
        return [Fit()]
    amounts = _best_leaves(flat, SHIPPING_AMOUNTS, 2)
    taxes = _best_leaves(flat, SHIPPING_TAXES, 1)
    tax = taxes[0] if taxes else None
    shipping: list[tuple[tuple[Leaf, str], Leaf | None]] = []
    for amount in amounts:
        shipping.append(((amount, "unit_price"), None))
        shipping.append(((amount, "unit_price_excl"), tax))
    keys = ["unit_price", "unit_price_excl"] if "unit_price" in lines else ["unit_price"]
    fits = [Fit(key, ship, ship_tax) for key in keys for ship, ship_tax in shipping]
    fits += [Fit(key) for key in keys]
    return fits


def _best_leaves(leaves: list[Leaf], names: tuple[str, ...], count: int) -> list[Leaf]:
    found: list[tuple[int, int, Leaf]] = []
    for leaf in leaves:
        if not leaf.values:
            continue
        *parents, name = leaf.path
        forms = [normalised(name)] + ([normalised(parents[-1]) + normalised(name)] if parents else [])
        rank = min((names.index(f) for f in forms if f in names), default=None)
        if rank is not None:
            found.append((rank, len(parents), leaf))
    return [leaf for *_, leaf in sorted(found, key=lambda f: (f[0], f[1]))][:count]


def _best_fit(render: Callable[[Fit], str], fits: list[Fit], sample: Path) -> Fit:
    """The fit under which the most of the sample's documents add up to the total they state.

    Only a document whose every line has both VAT bases can be checked against its total; a fit
    that merely escapes the check (a line without a VAT rate) never beats one that can be checked,
    so a sample whose lines do not add up is drafted to be held, not booked.
    """
    from exchange.importers.read.records import read_records
    from exchange.profiles import load_profile

    scored: list[tuple[int, int, int, int]] = []
    with tempfile.TemporaryDirectory(prefix="exchange-draft-") as tmp:
        path = Path(tmp) / "draft.yaml"
        for index, fit in enumerate(fits):
            path.write_text(render(fit), encoding="utf-8")
            matched = checkable = warnings = 0
            try:
                records = read_records(sample, load_profile(path), DocumentKind.ORDERS,
                                       validate=False, hashed=False)
                for record in islice(records, _FIT_RECORDS):
                    warnings += len(record.warnings)
                    lines = getattr(record.document, "lines", None)
                    if not lines or any(ln.total_gross is None for ln in lines):
                        continue
                    checkable += 1
                    if not any("does not match the lines" in r for r in record.review_reasons):
                        matched += 1
            except ExchangeError:
                continue
            scored.append((-matched, -checkable, warnings, index))
    return fits[min(scored)[3]] if scored else fits[-1]


def _field_line(canonical: str, leaf: Leaf, indent: str) -> str:
    key = canonical
    if canonical in _DATE_FIELDS:
        fmt = _date_format(leaf.values)
        if fmt is not None:
            return f"{indent}{key}: {{path: {_q(leaf.text)}, format: {_q(fmt)}}}"
    example = leaf.example
    note = f"  # e.g. {example[:40]!r}" if example else "  # empty in the sample"
    return f"{indent}{key}: {_q(leaf.text)}{note}"


def _render(name: str, sample: Path, kind: DocumentKind, record: str, namespaces: dict[str, str],
            chosen: dict[str, Leaf], lines_path: tuple[str, ...] | None, lines: dict[str, Leaf],
            leaves: dict[tuple[str, ...], Leaf],
            line_leaves: dict[tuple[str, ...], Leaf], repaired: list[str], fit: Fit) -> str:
    out: list[str] = [
        f"# Drafted by `exchange profiles new` from {sample.name}: check every mapping, then run",
        f"#   exchange profiles check {name}.yaml {sample.name}",
        f"name: {_q(name)}",
        f"description: {_q('Drafted from ' + sample.name)}",
        "",
    ]
    created = chosen.get("created_at") or chosen.get("issued_on")
    if created is not None and _naive(created.values):
        out += ["import:",
                "  # the sample's dates have no time zone: they are read in this one (Magento's "
                "and WooCommerce's APIs write UTC)",
                "  timezone: Europe/Prague", ""]
    out += [
        "kinds:",
        f"  {kind.value}:",
        f"    record: {_q(record)}",
    ]
    if repaired:
        out.append(f"    # the sample is not well-formed XML: {len(repaired)} repair(s), e.g. "
                   f"{repaired[0].removesuffix(' (recover: true)')}; recover reports each one")
        out.append("    recover: true")
    if namespaces:
        out.append("    namespaces:")
        out.extend(f"      {_q(p)}: {_q(u)}" for p, u in sorted(namespaces.items()))
    if fit.price_key == "unit_price_excl":
        out.append("    prices_include_vat: false  # the sample's totals add up with prices "
                   "without VAT")
    out.append("    fields:")
    required = {"orders": "external_id", "invoices": "external_id", "products": "code"}[kind.value]
    if required not in chosen:
        out.append(f"      {required}: {{default: '', path: []}}  # map me: required")
    out.extend(_field_line(c, chosen[c], "      ") for c in sorted(chosen, key=_field_order))
    mapped_paths = {leaf.path for leaf in chosen.values()}
    if fit.shipping is not None:  # read by the shipping line below
        mapped_paths.add(fit.shipping[0].path)
        if fit.shipping_tax is not None:
            mapped_paths.add(fit.shipping_tax.path)
    rest = [leaf for p, leaf in leaves.items() if p not in mapped_paths and p not in line_leaves]
    out.extend(_unmapped(rest, "      "))
    if lines_path is not None:
        out += ["    lines:", f"      path: {_q('/'.join(lines_path))}", "      fields:"]
        out.extend(_field_line(fit.price_key if c == "unit_price" else c, lines[c], "        ")
                   for c in sorted(lines))
        line_mapped = {leaf.path for leaf in lines.values()}
        rest = [Leaf(p[len(lines_path):], leaf.count, leaf.values) for p, leaf in line_leaves.items()
                if p[len(lines_path):] not in line_mapped]
        out.extend(_unmapped(rest, "        "))
    if fit.shipping is not None:
        amount, key = fit.shipping
        out += ["    totals_lines:  # the sample's totals add up with this shipping line",
                "      - kind: shipping", "        name: Shipping",
                f"        {key}: {_q(amount.text)}  # e.g. {(amount.example or '')[:20]!r}"]
        if fit.shipping_tax is not None:
            out.append(f"        tax: {_q(fit.shipping_tax.text)}")
    out.extend(_maps(chosen))
    return "\n".join(out) + "\n"


def _field_order(canonical: str) -> tuple[int, str]:
    group = canonical.split(".", 1)[0] if "." in canonical else ""
    return ({"": 0, "customer": 1, "billing": 2, "delivery": 3}.get(group, 4), canonical)


def _unmapped(leaves: list[Leaf], indent: str) -> Iterator[str]:
    with_values = [leaf for leaf in leaves if leaf.values]
    empty = [leaf.text for leaf in leaves if not leaf.values]
    if with_values:
        yield f"{indent}# not mapped (path: an example value):"
        for leaf in with_values:
            yield f"{indent}#   {leaf.text}: {(leaf.example or '')[:50]!r}"
    if empty:
        yield f"{indent}# always empty or xsi:nil in the sample: {', '.join(empty)}"


def _maps(chosen: dict[str, Leaf]) -> Iterator[str]:
    sections: list[str] = []
    status = chosen.get("status")
    if status is not None and status.values:
        sections += ["      status:", "        values:"]
        for value in sorted(status.values):
            guess = _guess_status(value)
            sections.append(f"          {_q(value)}: {guess or 'new'}  # map me"
                            + ("" if guess else " (not recognised)"))
    payment = chosen.get("payment_method")
    if payment is not None and payment.values:
        sections += ["      payment:", "        values:"]
        sections += [f"          {_q(v)}: {_q(v)}  # map me: your ERP's payment method"
                     for v in sorted(payment.values)]
    if sections:
        yield "    maps:  # values seen in the sample; a value without a mapping holds its document"
        yield from sections
