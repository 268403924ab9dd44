"""The one YAML loader feeds reads with, for seeds and for config.yaml alike.

Safe (no Python objects), C-accelerated where libyaml is present, with no implicit timestamps
(a date stays a string, so an impossible one is a message about its key, not an exception
inside the YAML library) and with duplicate keys recorded (YAML forbids them, PyYAML silently
keeps the last).
"""

from __future__ import annotations

from typing import Any, ClassVar

import yaml

# The C loader is ~10x faster; both are "safe" (no arbitrary Python objects).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class StrictLoader(SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader, minus implicit timestamps, plus duplicate-key detection."""

    yaml_implicit_resolvers: ClassVar[dict] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP_TAG]
        for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []  # (key, 0-based line of the repeat)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key in seen:
                    self.duplicates.append((str(key), key_node.start_mark.line))
                seen.add(key)
        return mapping
