"""The one YAML loader feeds reads with, for seeds and for config.yaml alike.

Safe (no Python objects), C-accelerated where libyaml is present, with no implicit timestamps
(a date stays a string, so an impossible one is a message about its key, not an exception
inside the YAML library) and with duplicate keys recorded (YAML forbids them, PyYAML silently
keeps the last): a seed's are repaired with a note, config.yaml's refused with their key path
(:func:`duplicate_keys`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, NamedTuple

import yaml

# The C loader is ~10x faster; both are "safe" (no arbitrary Python objects).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MERGE_TAG = "tag:yaml.org,2002:merge"


class Duplicate(NamedTuple):
    """A key given twice in one mapping (lines are 0-based, as PyYAML's marks)."""

    key: str
    line: int  # the repeat's
    first: int  # the first occurrence's
    path: tuple[str | int, ...] = ()  # keys and list indexes down to the mapping (if known)


def repeated_keys(node: yaml.MappingNode) -> Iterator[Duplicate]:
    """The repeated keys of one mapping as written: a merge key (``<<: *base``) and the keys
    it brings in are not repeats, since overriding a merged key is what merging is for."""
    first: dict[tuple[str, str], int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
            continue
        ident = (key_node.tag, key_node.value)  # 1 and "1" are two keys, a and 'a' one
        line = key_node.start_mark.line
        if ident in first:
            yield Duplicate(str(key_node.value), line, first[ident])
        else:
            first[ident] = line


class StrictLoader(SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader, minus implicit timestamps, plus duplicate-key detection."""

    yaml_implicit_resolvers: ClassVar[dict] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP_TAG]
        for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[Duplicate] = []  # in the order mappings were built

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):  # before merge keys are flattened into it
            self.duplicates.extend(repeated_keys(node))
        return super().construct_mapping(node, deep=deep)


def duplicate_keys(root: yaml.Node | None) -> list[Duplicate]:
    """Every repeated key of a composed document with the key path of its mapping, in line
    order. Each node is visited once however many aliases lead to it, so an alias bomb costs
    no more than its text."""
    found: list[Duplicate] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())] if root else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            found.extend(d._replace(path=path) for d in repeated_keys(node))
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                stack.append((value_node, (*path, str(key))))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
    return sorted(found, key=lambda d: d.line)
