"""A document line's money in both VAT bases, and a document's VAT breakdown from its lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_CENT = Decimal("0.01")


def line_money(ln: Mapping[str, Any], include_vat: bool) -> tuple[Decimal, Decimal, Decimal,
                                                                 Decimal, Decimal]:
    """(net, gross, VAT, unit net, unit gross) of one line, in the document's currency."""
    rate = ln["vat_rate"] or Decimal(0)
    factor = 1 + rate / 100
    quantity = ln["quantity"]
    stated = ln["line_total"] if ln["line_total"] is not None else (
        quantity * ln["unit_price"] * (1 - ln["discount_percent"] / 100)).quantize(_CENT)
    gross, net = ln["line_total_gross"], ln["line_total_net"]
    if gross is None and net is None:
        gross, net = (stated, None) if include_vat else (None, stated)
    if gross is None:
        gross = (net * factor).quantize(_CENT, ROUND_HALF_UP)
    if net is None:
        net = (gross / factor).quantize(_CENT, ROUND_HALF_UP)
    unit_gross = ln["unit_price_gross"]
    unit_net = ln["unit_price_net"]
    if unit_gross is None:
        unit_gross = ln["unit_price"] if include_vat else (ln["unit_price"] * factor)
    if unit_net is None:
        unit_net = (ln["unit_price"] / factor) if include_vat else ln["unit_price"]
    return net, gross, gross - net, unit_net.quantize(Decimal("0.000001")).normalize(), \
        unit_gross.quantize(Decimal("0.000001")).normalize()



def breakdown(lines: Iterable[Mapping[str, Any]], include_vat: bool) -> list[dict[str, Decimal]]:
    """The VAT bands (rate, net, VAT) of stored lines, by rate."""
    bands: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for ln in lines:
        net, _gross, vat, _un, _ug = line_money(ln, include_vat)
        band = bands[ln["vat_rate"] or Decimal(0)]
        band[0] += net
        band[1] += vat
    return [{"rate": rate, "net": net, "vat": vat} for rate, (net, vat) in sorted(bands.items())]
