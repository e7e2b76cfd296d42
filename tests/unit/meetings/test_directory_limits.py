"""A directory file can't make the parser expand, recurse or store what the store refuses:
each is a DirectoryInvalid naming the problem (and its line where it has one), and fast."""

from __future__ import annotations

import time

import pytest
from fourx_meetings.domain import directory as module
from fourx_meetings.domain.directory import DirectoryInvalid, parse_directory

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
streets: *i
"""


def refused(text: str) -> DirectoryInvalid:
    started = time.monotonic()
    with pytest.raises(DirectoryInvalid) as info:
        parse_directory(text)
    assert time.monotonic() - started < 2, "a hostile file must be refused quickly"
    return info.value


def test_aliases_are_refused_at_once():
    problem = refused(BILLION_LAUGHS).problems[0]
    assert problem.line == 2 and "别名" in problem.message


def test_a_single_harmless_alias_is_refused_too():
    text = "streets:\n  - &s {street_id: s1, name: 东城}\ncommunities: []\npeople: []\nextra: *s\n"
    assert "别名" in refused(text).problems[0].message


@pytest.mark.parametrize("text", ["streets: " + "[" * 50_000, "[" * 50_000 + "]" * 50_000,
                                  "streets:\n" + "".join("  " * i + "- \n" for i in range(1, 200))])
def test_deep_nesting_is_refused_not_a_recursion_error(text):
    assert "过深" in str(refused(text))


@pytest.mark.parametrize(("text", "fragment"), [
    ('streets: [{street_id: "s\\0", name: 东城}]', "NUL"),
    ('streets: [{"\\ud800": 1}]', "代理字符"),
    ("streets: [{street_id: s1, name: 东城, size: 123456789012345678901234567890}]", "整数过大"),
    ("streets: [{street_id: s1, name: !!binary aGVsbG8=}]", "不支持的值类型"),
    ('{"streets": [{"street_id": "s1", "name": "\\u0000"}]}', "NUL"),
    ('{"streets": [{"street_id": "s1", "n": ' + "9" * 5000 + "}]}", "整数过大"),
])
def test_values_the_store_cannot_take_are_refused(text, fragment):
    assert fragment in str(refused(text))


@pytest.mark.parametrize("value", ["!!int 0x", "!!float abc", "!!timestamp nope", "!!bool maybe", "!!int",
                                   "!!int 0o9", "9" * 5000])
def test_malformed_tagged_scalars_are_invalid_not_a_crash(value):
    """PyYAML raises ValueError, KeyError, ... (not YAMLError) on these: a 500 before."""
    refused(f"streets: [{{street_id: s1, name: 东城, x: {value}}}]\ncommunities: []\npeople: []\n")


def test_date_like_scalars_stay_text():
    directory = parse_directory("venue: 0000-01-01\nstreets: []\ncommunities: []\npeople: []\n")
    assert directory.venue == "0000-01-01"


def test_a_snapshot_too_large_for_one_record_is_refused(monkeypatch):
    from tests.unit.meetings.fixtures import DIRECTORY_YAML
    monkeypatch.setattr(module, "MAX_SNAPSHOT_BYTES", 500)
    assert "目录过大" in str(refused(DIRECTORY_YAML))


def test_size_and_node_caps(monkeypatch):
    monkeypatch.setattr(module, "MAX_NODES", 50)
    assert "节点过多" in str(refused("streets: [" + ", ".join(["x"] * 100) + "]"))
    monkeypatch.setattr(module, "MAX_TEXT_CHARS", 10)
    assert "文件过大" in str(refused("streets: []\ncommunities: []\n"))
