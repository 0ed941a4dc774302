"""ISDOC 6.0.2 out: one ``Invoice`` file per issued invoice or credit note (receipts are no ISDOC).

The supplier is the merchant of exchange.yaml's ``company:``; the customer, the lines with their
VAT, the tax total per rate, the monetary totals and the payment means (due date, bank account,
variable symbol) come from the store. Each document keeps one UUID (derived from its shop and
number, so a file sent again is the same document). A foreign-currency document states its
amounts in the currency (``…Curr``) and in the home currency at its rate. A line's kind, which
ISDOC has no element for, is written in its ``Note`` when it is not a product, so our own files
read back the same.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lxml import etree

from exchange.documents import InvoiceKind
from exchange.errors import DocumentError
from exchange.handoff.money import line_money
from exchange.store.erp import HandoffDocument

NS = "http://isdoc.cz/namespace/2013"
VERSION = "6.0.2"
ISDOC_KINDS = (InvoiceKind.INVOICE.value, InvoiceKind.CREDIT_NOTE.value)
_UUID_SPACE = uuid.UUID("6f1b9a52-2c37-4c1e-9a51-3f0e6a7d0c15")
_CENT = Decimal("0.01")
_PAYMENT_CODES = {"cash": "10", "delivery": "50", "creditcard": "48", "draft": "42"}


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: Any, name: str, text: Any = None) -> Any:
    el = etree.SubElement(parent, _q(name))
    if text is not None:
        el.text = text if isinstance(text, str) else _amount(text)
    return el


def _amount(value: Decimal | int) -> str:
    number = Decimal(value)
    return "0" if number == 0 else format(number.normalize(), "f")


def document_uuid(shop: str, number: str) -> str:
    """The document's UUID: the same for the same shop and number, every time it is written."""
    return str(uuid.uuid5(_UUID_SPACE, f"{shop}\x00{number}")).upper()


def _party(parent: Any, name: str, *, ident: str, vat_id: str, company: str, person: str,
           street: str, number: str, city: str, postcode: str, country: str, email: str = "",
           phone: str = "") -> None:
    party = _sub(_sub(parent, name), "Party")
    _sub(_sub(party, "PartyIdentification"), "ID", ident)
    _sub(_sub(party, "PartyName"), "Name", company or person)
    address = _sub(party, "PostalAddress")
    _sub(address, "StreetName", street)
    _sub(address, "BuildingNumber", number)
    _sub(address, "CityName", city)
    _sub(address, "PostalZone", postcode)
    land = _sub(address, "Country")
    _sub(land, "IdentificationCode", country)
    _sub(land, "Name", "")
    if vat_id:
        scheme = _sub(party, "PartyTaxScheme")
        _sub(scheme, "CompanyID", vat_id)
        _sub(scheme, "TaxScheme", "VAT")
    if person or email or phone:
        contact = _sub(party, "Contact")
        if person:
            _sub(contact, "Name", person)
        if phone:
            _sub(contact, "Telephone", phone)
        if email:
            _sub(contact, "ElectronicMail", email)


def isdoc_invoice(doc: HandoffDocument, company: Any, *, home_currency: str = "CZK") -> Any:
    """The ISDOC ``Invoice`` element tree of a stored invoice or credit note.

    Raises:
        DocumentError: a receipt, or a foreign-currency document without its rate.
    """
    row = doc.row
    if row["kind"] not in ISDOC_KINDS:
        raise DocumentError(f"a {row['kind']} is not an ISDOC document", field="kind")
    if not doc.lines:
        raise DocumentError("ISDOC needs at least one invoice line; this document states only "
                            "its totals", field="lines")
    foreign = bool(row["currency"]) and row["currency"] != home_currency
    rate = row.get("exchange_rate")
    if foreign and not rate:
        raise DocumentError(f"a {row['currency']} document needs its exchange rate for ISDOC",
                            field="exchange_rate")
    rate = Decimal(rate) if foreign and rate else Decimal(1)

    def local(value: Decimal) -> Decimal:
        return (value * rate).quantize(_CENT, ROUND_HALF_UP)

    def amounts(parent: Any, name: str, value: Decimal, curr_first: bool = True) -> None:
        """An amount in the home currency, with its ``…Curr`` twin for a foreign document."""
        if foreign and curr_first:
            _sub(parent, f"{name}Curr", value)
        _sub(parent, name, local(value))
        if foreign and not curr_first:
            _sub(parent, f"{name}Curr", value)

    root = etree.Element(_q("Invoice"), nsmap={None: NS}, version=VERSION)  # type: ignore[dict-item]
    _sub(root, "DocumentType", "2" if row["kind"] == InvoiceKind.CREDIT_NOTE.value else "1")
    _sub(root, "ID", row["number"])
    _sub(root, "UUID", document_uuid(row["shop"], row["number"]))
    _sub(root, "IssuingSystem", "exchange")
    _sub(root, "IssueDate", row["issued_on"].isoformat())
    _sub(root, "TaxPointDate", (row.get("tax_date") or row["issued_on"]).isoformat())
    _sub(root, "VATApplicable", "true" if company.dic else "false")
    _sub(root, "ElectronicPossibilityAgreementReference", "")
    if row.get("note"):
        _sub(root, "Note", row["note"])
    _sub(root, "LocalCurrencyCode", home_currency)
    if foreign:
        _sub(root, "ForeignCurrencyCode", row["currency"])
    _sub(root, "CurrRate", rate)
    _sub(root, "RefCurrRate", "1")
    street, _, house = company.street.rpartition(" ") if company.street else ("", "", "")
    _party(root, "AccountingSupplierParty", ident=company.ico, vat_id=company.dic,
           company=company.name, person="", street=street or company.street, number=house,
           city=company.city, postcode=company.postcode, country=company.country)
    _party(root, "AccountingCustomerParty", ident=row.get("c_company_id") or "",
           vat_id=row.get("c_vat_id") or "", company=row.get("c_company") or "",
           person=row.get("c_name") or "", street=row.get("c_street") or "",
           number=row.get("c_house_number") or "", city=row.get("c_city") or "",
           postcode=row.get("c_postcode") or "", country=row.get("c_country") or "",
           email=row.get("c_email") or "", phone=row.get("c_phone") or "")
    if row.get("order_number"):
        ref = _sub(_sub(root, "OrderReferences"), "OrderReference")
        ref.set("id", "order")
        _sub(ref, "SalesOrderID", row["order_number"])
    delivery = row.get("delivery_address") or {}
    if any(delivery.get(k) for k in ("name", "company", "street", "city")):
        _party(root, "Delivery", ident="", vat_id="", company=delivery.get("company") or "",
               person=delivery.get("name") or "", street=delivery.get("street") or "",
               number=delivery.get("house_number") or "", city=delivery.get("city") or "",
               postcode=delivery.get("postcode") or "", country=delivery.get("country") or "")
    lines_el = _sub(root, "InvoiceLines")
    bands: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    include_vat = bool(row["prices_include_vat"])
    for i, ln in enumerate(doc.lines, 1):
        net, gross, vat, unit_net, unit_gross = line_money(ln, include_vat)
        rate_pct = ln["vat_rate"] or Decimal(0)
        bands[rate_pct][0] += net
        bands[rate_pct][1] += vat
        line = _sub(lines_el, "InvoiceLine")
        _sub(line, "ID", str(i))
        quantity = _sub(line, "InvoicedQuantity", ln["quantity"])
        if ln.get("unit"):
            quantity.set("unitCode", ln["unit"])
        if foreign:
            _sub(line, "LineExtensionAmountCurr", net)
        _sub(line, "LineExtensionAmount", local(net))
        if foreign:
            _sub(line, "LineExtensionAmountTaxInclusiveCurr", gross)
        _sub(line, "LineExtensionAmountTaxInclusive", local(gross))
        _sub(line, "LineExtensionTaxAmount", local(vat))
        _sub(line, "UnitPrice", unit_net * rate if foreign else unit_net)
        _sub(line, "UnitPriceTaxInclusive", unit_gross * rate if foreign else unit_gross)
        category = _sub(line, "ClassifiedTaxCategory")
        _sub(category, "Percent", rate_pct)
        _sub(category, "VATCalculationMethod", "1" if include_vat else "0")
        if ln["kind"] != "product":
            _sub(line, "Note", ln["kind"])
        item = _sub(line, "Item")
        _sub(item, "Description", ln["name"])
        if ln.get("code"):
            _sub(_sub(item, "SellersItemIdentification"), "ID", ln["code"])
    stated = row.get("vat_breakdown") or []
    if stated:
        bands = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for band in stated:
            bands[Decimal(str(band["rate"]))] = [Decimal(str(band["net"])), Decimal(str(band["vat"]))]
    tax = _sub(root, "TaxTotal")
    for pct, (net, vat) in sorted(bands.items()):
        sub = _sub(tax, "TaxSubTotal")
        amounts(sub, "TaxableAmount", net)
        amounts(sub, "TaxAmount", vat)
        amounts(sub, "TaxInclusiveAmount", net + vat)
        for claimed in ("AlreadyClaimedTaxableAmount", "AlreadyClaimedTaxAmount",
                        "AlreadyClaimedTaxInclusiveAmount"):
            amounts(sub, claimed, Decimal(0))
        amounts(sub, "DifferenceTaxableAmount", net)
        amounts(sub, "DifferenceTaxAmount", vat)
        amounts(sub, "DifferenceTaxInclusiveAmount", net + vat)
        _sub(_sub(sub, "TaxCategory"), "Percent", pct)
    total_net = row.get("total_net")
    total_vat = row.get("total_vat")
    if total_net is None:
        total_net = sum((b[0] for b in bands.values()), Decimal(0))
    if total_vat is None:
        total_vat = sum((b[1] for b in bands.values()), Decimal(0))
    amounts(tax, "TaxAmount", total_vat)
    rounding = row.get("rounding") or Decimal(0)
    total = row["total"] if row["total"] is not None else total_net + total_vat + rounding
    money = _sub(root, "LegalMonetaryTotal")
    amounts(money, "TaxExclusiveAmount", total_net, curr_first=False)
    amounts(money, "TaxInclusiveAmount", total_net + total_vat, curr_first=False)
    for claimed in ("AlreadyClaimedTaxExclusiveAmount", "AlreadyClaimedTaxInclusiveAmount"):
        amounts(money, claimed, Decimal(0), curr_first=False)
    amounts(money, "DifferenceTaxExclusiveAmount", total_net, curr_first=False)
    amounts(money, "DifferenceTaxInclusiveAmount", total_net + total_vat, curr_first=False)
    if rounding:
        amounts(money, "PayableRoundingAmount", rounding, curr_first=False)
    amounts(money, "PaidDepositsAmount", Decimal(0), curr_first=False)
    amounts(money, "PayableAmount", total, curr_first=False)
    _payment(root, row, company, total if not foreign else local(total))
    return root


def _payment(root: Any, row: dict[str, Any], company: Any, total: Decimal) -> None:
    from exchange.handoff.pohoda import payment_type

    payment = _sub(_sub(root, "PaymentMeans"), "Payment")
    _sub(payment, "PaidAmount", total)
    kind = payment_type(row.get("payment_code") or "", row.get("payment_method") or "")
    _sub(payment, "PaymentMeansCode", _PAYMENT_CODES.get(kind, "42"))
    if row.get("due_on"):
        details = _sub(payment, "Details")
        _sub(details, "PaymentDueDate", row["due_on"].isoformat())
        _sub(details, "ID", company.bank_account)
        _sub(details, "BankCode", company.bank_code)
        _sub(details, "Name", "")
        _sub(details, "IBAN", company.iban)
        _sub(details, "BIC", "")
        if row.get("variable_symbol"):
            _sub(details, "VariableSymbol", row["variable_symbol"])
