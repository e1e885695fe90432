"""Patterns compiled on first use."""

import re

import pytest

from pta_analyzer.deferred import regex


def test_a_deferred_pattern_is_compiled_once_on_first_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled: list[str] = []
    real_compile = re.compile

    def counting(source: str, flags: int = 0) -> "re.Pattern[str]":
        compiled.append(source)
        return real_compile(source, flags)

    monkeypatch.setattr(re, "compile", counting)
    pattern = regex(r"(?i)port=(\d+)")

    assert compiled == []
    assert pattern().search("PORT=80") is not None
    assert pattern() is pattern()
    assert compiled == [r"(?i)port=(\d+)"]


def test_flags_are_kept() -> None:
    assert regex(r"^b", re.MULTILINE)().findall("a\nb") == ["b"]
