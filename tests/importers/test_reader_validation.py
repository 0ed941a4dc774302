"""XSD validation before reading: xmlschema for small files, lxml streaming for big ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.errors import SchemaError
from exchange.importers.read import schema as validation
from exchange.importers.read.records import DocumentKind, read_records
from exchange.profiles import Profile, load_profile
from tests.importers.engine_support import strict_profile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
GOOD = ("<ORDERS>\n<ORDER><ORDER_ID>1</ORDER_ID><DATE>2026-01-01 10:00:00</DATE></ORDER>\n"
        "<ORDER><ORDER_ID>2</ORDER_ID><DATE>2026-01-02 10:00:00</DATE></ORDER>\n</ORDERS>\n")
BAD = GOOD.replace("<ORDER_ID>2</ORDER_ID>", "<ORDER_ID>abc</ORDER_ID>")


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    return strict_profile(tmp_path)


def test_a_valid_file_is_read(tmp_path: Path, profile: Profile) -> None:
    path = tmp_path / "good.xml"
    path.write_text(GOOD, encoding="utf-8")
    assert [r.external_id for r in read_records(path, profile, DocumentKind.ORDERS)] == ["1", "2"]


def test_small_file_errors_name_the_line_and_element(tmp_path: Path, profile: Profile) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        list(read_records(path, profile, DocumentKind.ORDERS))
    assert info.value.line == 3
    assert "/ORDERS/ORDER[2]/ORDER_ID" in str(info.value)
    assert "abc" in str(info.value)


def test_big_files_are_validated_while_streaming(tmp_path: Path, profile: Profile,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "STREAMING_THRESHOLD", 10)
    path = tmp_path / "bad.xml"
    path.write_text(BAD, encoding="utf-8")
    seen: list[str] = []
    with pytest.raises(SchemaError, match=r"ORDER_ID.*abc"):
        for record in read_records(path, profile, DocumentKind.ORDERS):
            seen.append(record.external_id)
    assert seen == ["1", "abc"]  # provisional: the error comes when the parse ends


def test_validation_can_be_skipped(tmp_path: Path, profile: Profile) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(BAD, encoding="utf-8")
    records = list(read_records(path, profile, DocumentKind.ORDERS, validate=False))
    assert [r.external_id for r in records] == ["1", "abc"]


def test_a_missing_schema_file_is_a_profile_problem(tmp_path: Path) -> None:
    from exchange.errors import ProfileError

    path = tmp_path / "p.yaml"
    path.write_text("kinds:\n  orders:\n    record: /O/O\n    schema: nothere.xsd\n"
                    "    fields:\n      external_id: ID\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r":4: kinds.orders.schema: schema file not found"):
        load_profile(path)
