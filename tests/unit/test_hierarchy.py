import pytest

from mosaik_components.mas.model.errors import HierarchyError
from mosaik_components.mas.model.hierarchy import build_tree


def test_tree_roles_depths_and_bottom_up_order():
    # core -> A(1) -> B(1) -> u1, u2 ; core -> C(1) -> u3
    parents = {"core": None, "A": None, "B": "A", "u1": "B", "u2": "B", "C": None, "u3": "C"}
    tree = build_tree(parents, {"core": "core"})
    assert tree.root == "core"
    assert tree.nodes["core"].children == ["A", "C"]
    assert tree.units() == ["u1", "u2", "u3"]
    assert tree.controllers() == ["A", "B", "C"]
    assert tree.nodes["u1"].depth == 3
    position = {eid: i for i, eid in enumerate(tree.bottom_up)}
    for eid, node in tree.nodes.items():
        for child in node.children:
            assert position[child] < position[eid]


@pytest.mark.parametrize(
    ("parents", "declared", "message"),
    [
        ({"core": None, "a": "ghost"}, {"core": "core"},
         "entity 'a': controller 'ghost' is not an entity"),
        ({"core": None, "a": "b", "b": "a"}, {"core": "core"},
         "cycle in the controller tree: a -> b -> a"),
        ({"core": None, "a": "a"}, {"core": "core"}, "entity 'a' names itself"),
        ({"c1": None, "c2": None}, {"c1": "core", "c2": "core"},
         r"only one core agent per MAS simulator, got \['c1', 'c2'\]"),
        ({"a": None}, {}, "no core agent"),
        ({"core": None, "u": None, "x": "u"}, {"core": "core", "u": "unit"},
         "entity 'x': its controller 'u' is a unit"),
    ],
)
def test_bad_trees_name_the_entity(parents, declared, message):
    with pytest.raises(HierarchyError, match=message):
        build_tree(parents, declared)
