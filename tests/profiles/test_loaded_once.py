"""A profile is validated once per text: a daemon's jobs share it, an edit is seen at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exchange.errors import ProfileError
from exchange.profiles.loading import load_profile, resolve_profile


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "myshop.yaml"
    shutil.copyfile(resolve_profile("shoptet"), path)
    return path


def test_the_same_text_gives_the_same_profile(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    assert load_profile(path) is load_profile(path)


def test_an_edit_is_read_at_once_even_of_the_same_size(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    before = load_profile(path)
    text = path.read_text(encoding="utf-8")
    assert "name: shoptet" in text
    path.write_text(text.replace("name: shoptet", "name: shoptEt", 1), encoding="utf-8")
    after = load_profile(path)
    assert (before.name, after.name) == ("shoptet", "shoptEt")


def test_a_broken_edit_fails_although_the_good_text_was_loaded(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    load_profile(path)
    path.write_text(path.read_text(encoding="utf-8") + "\nno_such_section: 1\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="problem"):
        load_profile(path)
    with pytest.raises(ProfileError):  # and again: a failure is never remembered as a profile
        load_profile(path)
