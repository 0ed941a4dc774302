"""Every sample a bundled profile reads is booked exactly as its golden JSON says, field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exchange.store import Store
from tests.formats.golden import CASES, Case, compare, result_of


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.golden.stem)
def test_sample_is_booked_as_its_golden_result(store: Store, shared_samples: Path,
                                               tmp_path: Path, case: Case) -> None:
    expected = json.loads(case.golden.read_text(encoding="utf-8"))

    actual = result_of(store, case, tmp_path / "q")

    compared, differences = compare(expected, actual)
    assert compared > 0
    assert not differences, (f"{case.golden.name}: {len(differences)} of {compared} fields "
                             "differ:\n" + "\n".join(differences))
