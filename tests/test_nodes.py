"""The engine's fast ``walk`` visits exactly what ``ast.walk`` visits, in the same order."""
from __future__ import annotations

import ast

from conftest import fixture_files

from np_torch_lint.engine.nodes import walk


def test_walk_matches_ast_walk_on_every_fixture() -> None:
    files = fixture_files()
    assert files
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert [id(node) for node in walk(tree)] == [id(node) for node in ast.walk(tree)], path


def test_walk_skips_an_unset_field() -> None:
    call = ast.Call(func=ast.Name(id="f", ctx=ast.Load()), args=[])  # no keywords field set
    assert [type(node) for node in walk(call)] == [type(node) for node in ast.walk(call)]
