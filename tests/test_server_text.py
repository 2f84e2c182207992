"""The server's buffer helpers on their own (no LSP library): positions, minimal edits, `# noqa` edits."""
from __future__ import annotations

import ast
from typing import Optional

import pytest

from np_torch_lint.server.text import Buffer, Edit, apply_edit, minimal_edit, noqa_edit, parses


def test_ast_positions_in_each_encoding() -> None:
    text = 's = "é😀"; t.numpy()\n'
    byte_col = text.encode("utf-8").index(b".numpy") + 1  # `numpy`, as ast counts: UTF-8 bytes
    assert byte_col == 16
    assert Buffer(text, "utf-8").from_ast(1, byte_col) == (0, 16)
    assert Buffer(text, "utf-16").from_ast(1, byte_col) == (0, 13)  # é is 1 unit, the emoji 2
    assert Buffer(text, "utf-32").from_ast(1, byte_col) == (0, 12)


def test_lines_end_as_python_and_the_protocol_say() -> None:
    text = "a = 1\r\nb = 2\rc = '\x0c'\nd = 4"  # a form feed is no line break (str.splitlines says it is)
    buffer = Buffer(text)
    assert len(buffer.lines) == 4
    assert buffer.from_ast(4, 4) == (3, 4)
    assert buffer.from_offset(text.index("d")) == (3, 0)
    assert buffer.from_offset(text.index("c")) == (2, 0)
    assert buffer.from_offset(len(text)) == (3, 5)
    assert Buffer("x\n").from_offset(2) == (1, 0)  # after the last line break: the empty last line
    assert buffer.to_offset((2, 4)) == text.index("'")


def test_to_offset_counts_client_units() -> None:
    text = "😀x = 1\n"
    assert Buffer(text, "utf-16").to_offset((0, 2)) == 1
    assert Buffer(text, "utf-8").to_offset((0, 4)) == 1
    assert Buffer(text, "utf-16").to_offset((5, 0)) == len(text)


@pytest.mark.parametrize("old, new", [
    ("x = t.numpy()\n", "x = t.detach().cpu().numpy()\n"),
    ("a\r\nb\r\n", "a\r\nc\r\nb\r\n"),
    ("a\r\n", "a\n"),
    ("abc", "abc"),
    ("", "x"),
    ("same\r\nend", "same\r\nEND"),
])
def test_minimal_edit_gives_the_new_text(old: str, new: str) -> None:
    edit = minimal_edit(old, new)
    if old == new:
        assert edit is None
        return
    assert edit is not None and apply_edit(old, edit) == new
    for boundary in (edit.start, edit.end):  # never between the \r and the \n of a line break
        assert not (0 < boundary < len(old) and old[boundary - 1:boundary + 1] == "\r\n")


def test_minimal_edit_is_small() -> None:
    old = "import torch\n" * 50 + "x = t.numpy()\n" + "print(1)\n" * 50
    edit = minimal_edit(old, old.replace("t.numpy()", "t.detach().cpu().numpy()"))
    assert edit is not None and edit.end - edit.start == 0 and edit.replacement == "detach().cpu()."


def _silenced(text: str, line: int, code: str = "NTL201") -> Optional[str]:
    edit = noqa_edit(text, line, code)
    return None if edit is None else apply_edit(text, edit)


def test_noqa_added_after_the_code_and_after_a_comment() -> None:
    assert _silenced("a = t.numpy()   \nb = 1\n", 1) == "a = t.numpy()  # noqa: NTL201\nb = 1\n"
    assert _silenced("a = t.numpy()  # why\n", 1) == "a = t.numpy()  # why  # noqa: NTL201\n"
    assert _silenced("a = t.numpy()", 1) == "a = t.numpy()  # noqa: NTL201"  # no final line break
    assert _silenced("a = t.numpy()\r\nb = 1\r\n", 1) == "a = t.numpy()  # noqa: NTL201\r\nb = 1\r\n"


def test_noqa_list_extended() -> None:
    assert _silenced("a = t.numpy()  # noqa: E501\n", 1) == "a = t.numpy()  # noqa: E501,NTL201\n"
    assert _silenced("a = t.numpy()  # NOQA:E501, W291 why\n", 1) == "a = t.numpy()  # NOQA:E501, W291,NTL201 why\n"
    assert _silenced("a = t.numpy()  # noqa\n", 1) is None  # a bare noqa silences the line already


def test_noqa_never_where_a_comment_cannot_go() -> None:
    assert _silenced("a = f(x) + \\\n    t.numpy()\n", 1) is None  # after a backslash
    assert _silenced('a = t.numpy(), """\ntext\n"""\n', 1) is None  # inside a string spanning lines
    assert _silenced("a = f(x,\n      t.numpy())\n", 1) == "a = f(x,  # noqa: NTL201\n      t.numpy())\n"
    assert _silenced("a = (\n", 1) is None  # the text does not tokenize
    assert _silenced("a = 1\n", 7) is None  # no such line


@pytest.mark.parametrize("text", [
    "x = f(a,\n      b)\n", 'x = """a\nb"""\ny = 2\n', "if a:\n    x = t  # c\n", "x = [\n    1,  # one\n]\n",
    "x = 1; y = 2\n", "def f():\n    return t.numpy()\n",
])
def test_noqa_edits_always_parse(text: str) -> None:
    ast.parse(text)
    for line in range(1, text.count("\n") + 2):
        fixed = _silenced(text, line)
        if fixed is not None:
            assert parses(fixed), (line, fixed)
            assert "# noqa: NTL201" in fixed.split("\n")[line - 1] or ",NTL201" in fixed.split("\n")[line - 1]


def test_edit_is_a_plain_tuple() -> None:
    assert Edit(1, 2, "x") == (1, 2, "x")
