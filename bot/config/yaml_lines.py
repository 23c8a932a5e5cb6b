"""Load YAML into plain data while remembering the line of every key and list item.

PyYAML's `safe_load` forgets where values came from and silently keeps the last of two
equal keys. Here the document is composed into nodes with the safe loader and walked by
hand: scalars are built by PyYAML's SafeConstructor (so `true`, `3` and `2025-01-02` get
their usual types), mapping keys are kept as the text written in the file, and every
key path gets its 1-based line number. Duplicate keys become problems, not data loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

KeyPath = tuple[str | int, ...]
"""A position in the data: mapping keys as str, list indices as int."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
# Values built at most. Aliases let a few lines stand for billions of values ("billion
# laughs": nine levels of ten aliases each); a real organisation's config has a few
# thousand. Counting every value built, aliases included, stops such a file at once.
MAX_VALUES = 200_000


@dataclass(frozen=True)
class YamlProblem:
    """A structural problem found while reading (duplicate key, non-scalar key)."""

    path: KeyPath
    line: int
    message: str


@dataclass
class YamlDocument:
    """Plain data (dict/list/scalars), the line of each key path, and reading problems."""

    data: object
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        return line_of(self.lines, path)


class YamlSyntaxError(Exception):
    """The text is not valid YAML; `line` is 1-based when PyYAML knows it."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one; None if none has."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def format_path(path: KeyPath) -> str:
    """Write a key path the way users read it: `teams[0].members[1].ids.matrix`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document into plain data with line numbers.

    Raises YamlSyntaxError (with the line when known) for invalid YAML.
    An empty document gives data None.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        context = f"{exc.context}, " if exc.context else ""
        raise YamlSyntaxError(f"invalid YAML: {context}{problem}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", None) from exc
    doc = YamlDocument(data=None)
    if root is None:
        return doc
    doc.lines[()] = root.start_mark.line + 1
    try:
        doc.data = _Builder(doc).build(root, ())
    except yaml.MarkedYAMLError as exc:  # e.g. a malformed timestamp or merge
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(f"invalid YAML: {exc.problem or exc}", line) from exc
    return doc


class _Builder:
    """Walks composed nodes into plain data, filling the document's lines and problems."""

    def __init__(self, doc: YamlDocument, budget: list[int] | None = None) -> None:
        self._doc = doc
        self._constructor = SafeConstructor()
        self._budget = budget if budget is not None else [MAX_VALUES]  # shared with merges

    def build(self, node: Node, path: KeyPath) -> object:
        self._budget[0] -= 1
        if self._budget[0] < 0:
            raise YamlSyntaxError(
                f"the document expands to more than {MAX_VALUES:,} values; aliases (*name) "
                "that repeat each other are not supported",
                node.start_mark.line + 1,
            )
        if isinstance(node, ScalarNode):
            return self._constructor.construct_object(node, deep=True)
        if isinstance(node, SequenceNode):
            items: list[object] = []
            for index, item in enumerate(node.value):
                self._doc.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, index)))
            return items
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        raise yaml.constructor.ConstructorError(
            None, None, f"unsupported YAML node {node.tag}", node.start_mark
        )

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, object]:
        result: dict[str, object] = {}
        merged: list[tuple[str, object, int]] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode):
                self._doc.problems.append(
                    YamlProblem(path, line, "mapping keys must be plain words, not lists or maps")
                )
                continue
            key = str(key_node.value)
            key_path = (*path, key)
            if key in result:
                first = self._doc.lines.get(key_path)
                self._doc.problems.append(
                    YamlProblem(
                        key_path,
                        line,
                        f"duplicate key {key!r} (first defined on line {first}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            self._doc.lines[key_path] = line
            result[key] = self.build(value_node, key_path)
        for key, value, line in merged:  # explicit keys win over merged ones
            if key not in result:
                self._doc.lines.setdefault((*path, key), line)
                result[key] = value
        return result

    def _merge_sources(self, node: Node, path: KeyPath) -> list[tuple[str, object, int]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        found: list[tuple[str, object, int]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a merge key '<<' needs a mapping", source.start_mark
                )
            # A separate builder: the anchored mapping reports its own problems where
            # it is defined; here only its values and lines are borrowed.
            sub = _Builder(YamlDocument(data=None), self._budget)
            built = sub._mapping(source, path)
            for sub_path, line in sub._doc.lines.items():
                self._doc.lines.setdefault(sub_path, line)
            for key, value in built.items():
                found.append((key, value, sub._doc.lines.get((*path, key), 0)))
        return found
