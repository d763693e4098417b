"""Property paths: notation, parsing, leaves, wildcard expansion."""

from __future__ import annotations

import pytest

from aksflow.diff.paths import (
    MISSING,
    WILDCARD,
    expand,
    format_path,
    get,
    leaves,
    parse_path,
    under,
)
from tests.diff.builders import SECRET


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("agentPoolProfiles", 0, "count"), "agentPoolProfiles[0].count"),
        (
            ("metadata", "labels", "app.kubernetes.io/name"),
            'metadata.labels["app.kubernetes.io/name"]',
        ),
        (("agentPoolProfiles", WILDCARD, "windowsProfile"), "agentPoolProfiles[*].windowsProfile"),
        (("data", "a b"), 'data["a b"]'),
    ],
)
def test_format_and_parse_round_trip(path: tuple[object, ...], text: str) -> None:
    assert format_path(path) == text  # type: ignore[arg-type]
    assert parse_path(text) == path


def test_parse_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="bad property path"):
        parse_path("a..b")


def test_leaves_treat_secrets_and_empty_containers_as_leaves() -> None:
    doc = {"a": {"b": [1, {"c": 2}]}, "s": SECRET, "e": {}, "l": []}
    assert dict(leaves(doc)) == {
        ("a", "b", 0): 1,
        ("a", "b", 1, "c"): 2,
        ("s",): SECRET,
        ("e",): {},
        ("l",): [],
    }


def test_get_never_enters_a_secret() -> None:
    assert get({"s": SECRET}, ("s", "ciphertext")) is MISSING
    assert get({"a": [1]}, ("a", 3)) is MISSING


def test_expand_wildcards_over_both_documents() -> None:
    old = {"p": [{"w": 1}]}
    new = {"p": [{"w": 1}, {"w": 2}, {"x": 3}]}
    assert expand(parse_path("p[*].w"), old, new) == [("p", 0, "w"), ("p", 1, "w")]
    assert under(("p", 1, "w", "z"), parse_path("p[*].w"))
    assert not under(("p", 1), parse_path("p[*].w"))
