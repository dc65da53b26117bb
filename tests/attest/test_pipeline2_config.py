"""``zkpor.toml`` for zkpor/2 (``publisher.config.load_config2``): the shapes, their
defaults, and every bad value named by file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import publisher.config as config_module
from publisher.config import DEFAULT_SHAPES, Shape, default_shapes, load_config2
from publisher.errors import InputError

HEAD = """\
[issuer]
name = "Example Exchange"
url = "https://example.com"

[attestation]
id = "book-2026-11-21"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 4
"""
SHAPES = """
[[shapes]]
slots = 2
batch_depth = 1

[[shapes]]
slots = 8
batch_depth = 0
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zkpor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shapes_load(tmp_path: Path) -> None:
    config = load_config2(_write(tmp_path, HEAD + SHAPES))
    assert config.arity == 4
    assert config.shapes == (Shape(2, 1), Shape(8, 0))
    assert (config.attestation_id, config.as_of) == ("book-2026-11-21", "2026-11-21T00:00:00Z")


def test_default_shapes(tmp_path: Path) -> None:
    config = load_config2(_write(tmp_path, HEAD))
    assert [(s.slots, 4**s.batch_depth) for s in config.shapes] == list(DEFAULT_SHAPES)
    assert [(s.slots, 2**s.batch_depth) for s in default_shapes(2)] == list(DEFAULT_SHAPES)
    assert [(s.slots, 8**s.batch_depth) for s in default_shapes(8)] == [
        (4, 8),
        (16, 1),
        (128, 1),
        (1024, 1),
    ]


BAD = [
    # (replace this, with that, line, field, words of the reason)
    ("slots = 8", "slots = 2", 17, "shapes[1].slots", "larger than the previous shape's 2"),
    ("slots = 8", "slots = 1025", 17, "shapes[1].slots", "must be in 1..1024"),
    ("slots = 2", "slots = 0", 13, "shapes[0].slots", "must be in 1..1024"),
    ("slots = 2", 'slots = "2"', 13, "shapes[0].slots", "must be an integer"),
    ("batch_depth = 1", "batch_depth = -1", 14, "shapes[0].batch_depth", "at least 0"),
    ("batch_depth = 1", "batch_depth = 10", 14, "shapes[0].batch_depth", "too large to prove"),
    ("batch_depth = 0", "depth = 0", 18, "shapes[1].depth", "unknown key"),
    ("slots = 8\n", "", 16, "shapes[1].slots", "missing key"),
]


@pytest.mark.parametrize(("old", "new", "line", "field", "reason"), BAD)
def test_bad_shapes_name_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, reason: str
) -> None:
    text = HEAD + SHAPES
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_config2(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, field)
    assert reason in info.value.reason


def test_no_shape_at_all_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "shapes = []\n" + HEAD)
    with pytest.raises(InputError, match="at least one shape"):
        load_config2(path)


def test_too_many_shapes_are_refused(tmp_path: Path) -> None:
    shapes = "".join(f"\n[[shapes]]\nslots = {k + 1}\nbatch_depth = 0\n" for k in range(17))
    with pytest.raises(InputError, match="17 entries, at most 16"):
        load_config2(_write(tmp_path, HEAD + shapes))


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ('\n[[assets]]\nsymbol = "BTC"\ndecimals = 8\n', "assets[0]", "assets are the registry's"),
        ("\n[other]\nx = 1\n", "other", "unknown section"),
    ],
)
def test_zkpor1_sections_are_refused(tmp_path: Path, extra: str, field: str, reason: str) -> None:
    path = _write(tmp_path, HEAD + extra)
    with pytest.raises(InputError) as info:
        load_config2(path)
    assert info.value.field == field and reason in info.value.reason
    assert info.value.line == HEAD.count("\n") + 2


@pytest.mark.parametrize(
    ("key", "reason"), [("batch_depth = 2", "per shape"), ("pad_to = 16", "unknown key")]
)
def test_tree_holds_only_the_arity(tmp_path: Path, key: str, reason: str) -> None:
    path = _write(tmp_path, HEAD + key + "\n")
    with pytest.raises(InputError) as info:
        load_config2(path)
    assert (info.value.line, info.value.field) == (HEAD.count("\n") + 1, f"tree.{key.split()[0]}")
    assert reason in info.value.reason


def test_a_bad_arity_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD.replace("arity = 4", "arity = 3"))
    with pytest.raises(InputError) as info:
        load_config2(path)
    assert (info.value.line, info.value.field) == (10, "tree.arity")


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = config_module.__doc__ or ""
    example = doc.split("holds assets)::", 1)[1].split("Without", 1)[0]
    head = HEAD.split("[tree]", 1)[0]
    config = load_config2(_write(tmp_path, head + textwrap.dedent(example)))
    assert config.shapes == (Shape(4, 2), Shape(1024, 0))
