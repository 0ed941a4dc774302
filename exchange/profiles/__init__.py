"""Platform profiles: YAML files that tell the reader where each field sits; validated on load.

A profile is found by name among the bundled ones (``profiles/NAME.yaml``) or given as a file path.
Its keys, their defaults and their rules are declared once, as pydantic models (``models.py``,
``fields.py``); every problem is reported at once as ``file:line: key.path: reason``. See
``docs/profiles.md``, whose reference section is generated from the models.
"""

from exchange.profiles.fields import FieldSpec
from exchange.profiles.loading import (
    copy_profile,
    list_profiles,
    load_profile,
    profile_text,
    resolve_profile,
)
from exchange.profiles.models import (
    ExportSpec,
    ImportOptions,
    LinesSpec,
    Profile,
    RecordMapping,
    TotalsLine,
    ValueMap,
)
from exchange.profiles.vocabulary import (
    MAP_TARGETS,
    DocumentKind,
    FieldType,
    OnChanged,
    UnknownProduct,
)

__all__ = [
    "MAP_TARGETS",
    "DocumentKind",
    "ExportSpec",
    "FieldSpec",
    "FieldType",
    "ImportOptions",
    "LinesSpec",
    "OnChanged",
    "Profile",
    "RecordMapping",
    "TotalsLine",
    "UnknownProduct",
    "ValueMap",
    "copy_profile",
    "list_profiles",
    "load_profile",
    "profile_text",
    "resolve_profile",
]
