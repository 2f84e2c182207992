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


def test_a_repeated_walk_gives_the_same_nodes_and_keeps_no_tree_alive() -> None:
    import gc
    import weakref

    from np_torch_lint.engine import nodes

    tree = ast.parse("def f(x):\n    return [y for y in x if y]\n\nclass C:\n    a = f(1)\n")
    function = tree.body[0]
    expected = [id(node) for node in ast.walk(tree)]
    assert [id(node) for node in walk(tree)] == expected
    assert [id(node) for node in walk(function)] == [id(node) for node in ast.walk(function)]
    assert [id(node) for node in walk(tree)] == expected  # from what the first walk kept
    assert tree in nodes._BELOW and function in nodes._BELOW
    alive = weakref.ref(tree)
    del tree, function
    gc.collect()
    assert alive() is None  # what the walks kept does not hold the tree


def test_a_statement_s_identifiers_are_those_the_identifier_pattern_finds() -> None:
    from np_torch_lint.engine.source import IDENTIFIER, WORD_RUN, _identifiers

    texts = [path.read_text(encoding="utf-8") for path in fixture_files()]
    texts += ["x1 = 1e5 + 0x1F + 2_000 + _a + __b1", "t = 1abc", "café = naïve_1 + 3ñ"]  # the last one not ASCII
    for text in texts:
        assert _identifiers(text, frozenset(WORD_RUN.findall(text))) == frozenset(IDENTIFIER.findall(text))
