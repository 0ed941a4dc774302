"""docs/profiles.md and the profile models cannot drift: the reference is generated from the models."""

from __future__ import annotations

from pathlib import Path

from exchange.profiles.docs import BEGIN, DOC, END, main, reference, render
from exchange.profiles.models import ImportOptions

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_in_docs_is_what_the_models_generate() -> None:
    current = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert DOC == ROOT / "docs" / "profiles.md"
    assert current == render(current), "run: python -m exchange.profiles.docs"


def test_the_reference_lists_every_key_with_its_default() -> None:
    text = reference()
    assert text.startswith(BEGIN) and text.rstrip().endswith(END)
    for name in ImportOptions.model_fields:
        assert f"| `{name}` |" in text
    assert "| `timezone` | `Europe/Prague` |" in text
    assert "| `on_changed` | `update` | an order imported before comes again with new content " \
           "(`update` \\| `review`) |" in text
    assert "| `external_id` | text | **required**" in text
    assert "| `record` | **required** |" in text


def test_check_fails_on_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "profiles.md"
    stale.write_text("# Profiles\n\n" + reference().replace("Europe/Prague", "Europe/Vienna"),
                     encoding="utf-8")
    assert main(["--check", "--file", str(stale)]) == 1
    assert main(["--file", str(stale)]) == 0
    assert main(["--check", "--file", str(stale)]) == 0
    assert "Europe/Prague" in stale.read_text(encoding="utf-8")
