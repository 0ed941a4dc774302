"""Country names (Czech, Slovak, Polish, German, English) and ISO alpha-3 codes → ISO 3166-1 alpha-2."""

from __future__ import annotations

import unicodedata

# alpha-2: (alpha-3, names in cs / sk / pl / de / en and common variants)
_COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "CZ": ("CZE", ("Česká republika", "Česko", "Czechy", "Czech Republic", "Czechia", "Tschechien",
                   "Tschechische Republik", "Česká republika (CZ)", "Čechy", "Republika Czeska")),
    "SK": ("SVK", ("Slovensko", "Slovenská republika", "Słowacja", "Slovakia", "Slowakei",
                   "Slovak Republic")),
    "PL": ("POL", ("Polsko", "Poľsko", "Polska", "Poland", "Polen")),
    "DE": ("DEU", ("Německo", "Nemecko", "Niemcy", "Deutschland", "Germany")),
    "AT": ("AUT", ("Rakousko", "Rakúsko", "Austria", "Österreich")),
    "HU": ("HUN", ("Maďarsko", "Węgry", "Hungary", "Ungarn", "Magyarország")),
    "SI": ("SVN", ("Slovinsko", "Słowenia", "Slovenia", "Slowenien")),
    "HR": ("HRV", ("Chorvatsko", "Chorvátsko", "Chorwacja", "Croatia", "Kroatien")),
    "IT": ("ITA", ("Itálie", "Taliansko", "Włochy", "Italy", "Italien")),
    "FR": ("FRA", ("Francie", "Francúzsko", "Francja", "France", "Frankreich")),
    "ES": ("ESP", ("Španělsko", "Španielsko", "Hiszpania", "Spain", "Spanien")),
    "PT": ("PRT", ("Portugalsko", "Portugalia", "Portugal")),
    "GB": ("GBR", ("Velká Británie", "Spojené království", "Veľká Británia", "Wielka Brytania",
                   "United Kingdom", "Great Britain", "Großbritannien", "Vereinigtes Königreich", "UK")),
    "IE": ("IRL", ("Irsko", "Írsko", "Irlandia", "Ireland", "Irland")),
    "NL": ("NLD", ("Nizozemsko", "Holandsko", "Holandia", "Niderlandy", "Netherlands", "Niederlande")),
    "BE": ("BEL", ("Belgie", "Belgicko", "Belgia", "Belgium", "Belgien")),
    "LU": ("LUX", ("Lucembursko", "Luxembursko", "Luksemburg", "Luxembourg", "Luxemburg")),
    "DK": ("DNK", ("Dánsko", "Dania", "Denmark", "Dänemark")),
    "SE": ("SWE", ("Švédsko", "Szwecja", "Sweden", "Schweden")),
    "FI": ("FIN", ("Finsko", "Fínsko", "Finlandia", "Finland", "Finnland")),
    "NO": ("NOR", ("Norsko", "Nórsko", "Norwegia", "Norway", "Norwegen")),
    "CH": ("CHE", ("Švýcarsko", "Švajčiarsko", "Szwajcaria", "Switzerland", "Schweiz")),
    "LT": ("LTU", ("Litva", "Litwa", "Lithuania", "Litauen")),
    "LV": ("LVA", ("Lotyšsko", "Lotyšsko", "Łotwa", "Latvia", "Lettland")),
    "EE": ("EST", ("Estonsko", "Estónsko", "Estonia", "Estland")),
    "RO": ("ROU", ("Rumunsko", "Rumunia", "Romania", "Rumänien")),
    "BG": ("BGR", ("Bulharsko", "Bułgaria", "Bulgaria", "Bulgarien")),
    "GR": ("GRC", ("Řecko", "Grécko", "Grecja", "Greece", "Griechenland")),
    "UA": ("UKR", ("Ukrajina", "Ukraina", "Ukraine")),
    "US": ("USA", ("Spojené státy", "Spojené státy americké", "USA", "Stany Zjednoczone",
                   "United States", "United States of America", "Vereinigte Staaten")),
    "CA": ("CAN", ("Kanada", "Canada")),
    "ZA": ("ZAF", ("Jihoafrická republika", "South Africa", "Südafrika")),
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_BY_NAME: dict[str, str] = {}
for _alpha2, (_alpha3, _names) in _COUNTRIES.items():
    _BY_NAME[_alpha2.casefold()] = _alpha2
    _BY_NAME[_alpha3.casefold()] = _alpha2
    for _name in _names:
        _BY_NAME[_fold(_name)] = _alpha2
# Names that fold to an alpha-2 code of another country must not shadow it.
_BY_NAME["usa"] = "US"


def country_code(text: str) -> str | None:
    """ISO alpha-2 for a country name, alpha-2 or alpha-3 code; None when unknown."""
    key = text.strip()
    if not key:
        return None
    folded = key.casefold()
    found = _BY_NAME.get(folded) or _BY_NAME.get(_fold(key))
    if found is not None:
        return found
    return None
