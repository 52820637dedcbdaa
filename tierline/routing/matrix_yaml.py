"""YAML front end for the escalation matrix: what tenant admins edit and keep under version control.

Every error, from a YAML typo to an unknown priority code, is reported with the line and column an admin
can jump to. The document is composed to nodes first (SafeLoader only) so that a MatrixError path such as
rules[2].when.priority can be mapped back to the node that produced it.
"""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tierline.routing.matrix import Matrix, MatrixError, matrix_from_dict, matrix_to_dict

MAX_BYTES = 1024 * 1024
# Far deeper than any real matrix (5 levels), shallow enough that the recursive composer cannot overflow.
MAX_DEPTH = 32

_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


class MatrixYamlError(ValueError):
    def __init__(self, line: int, column: int, message: str):
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"line {line}, column {column}: {message}")


def _at(mark, message: str) -> MatrixYamlError:
    # PyYAML marks are 0-based; editors count from 1.
    if mark is None:
        return MatrixYamlError(1, 1, message)
    return MatrixYamlError(mark.line + 1, mark.column + 1, message)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (the "billion laughs" expansion needs them and a
    routing matrix never does) and nesting deep enough to exhaust the recursive composer."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (& and *) are not allowed",
                                              event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                              event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _syntax_error(exc: yaml.YAMLError, text: str) -> MatrixYamlError:
    if isinstance(exc, yaml.MarkedYAMLError):
        message = "; ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        return _at(exc.problem_mark or exc.context_mark, message)
    if isinstance(exc, yaml.reader.ReaderError):  # unprintable characters carry a position, not a mark
        before = text[: exc.position]
        line = before.count("\n") + 1
        return MatrixYamlError(line, exc.position - (before.rfind("\n") + 1) + 1,
                               f"character U+{exc.character:04X} is not allowed ({exc.reason})")
    return MatrixYamlError(1, 1, str(exc))


def _refuse_duplicate_keys(node: Node | None) -> None:
    # PyYAML silently keeps the last of two equal keys; in a routing rule that hides a condition.
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, MappingNode):
            seen = set()
            for key, value in current.value:
                if isinstance(key, ScalarNode):
                    if (key.tag, key.value) in seen:
                        raise _at(key.start_mark, f"duplicate key {key.value!r}")
                    seen.add((key.tag, key.value))
                stack += [key, value]
        elif isinstance(current, SequenceNode):
            stack += current.value


def _locate(root: Node | None, error: MatrixError):
    """The mark of the node an error path names, or of its nearest existing parent."""
    if root is None:
        return None
    parts = error.parts
    if parts is None:
        found = _PATH_PART.findall(error.path.removeprefix("(root)"))
        parts = tuple(int(index) if index else name for index, name in found)
    node = root
    for depth, part in enumerate(parts):
        if isinstance(node, MappingNode) and isinstance(part, str):
            found = [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part]
            if not found:
                break
            key, value = found[0]
            if depth == len(parts) - 1 and error.at_key:
                return key.start_mark
            node = value
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return node.start_mark


def load_matrix_yaml(text: str) -> Matrix:
    if not isinstance(text, str):
        raise TypeError(f"expected the YAML text as str, got {type(text).__name__}")
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise MatrixYamlError(1, 1, f"the document is larger than {MAX_BYTES // 1024} KiB")
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader checks every character up front
        raise _syntax_error(exc, text)
    try:
        root = loader.get_single_node()
        _refuse_duplicate_keys(root)
        data = loader.construct_document(root) if root is not None else None
    except MatrixYamlError:
        raise
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text)
    except (ValueError, OverflowError) as exc:  # e.g. an integer beyond Python's digit limit
        raise MatrixYamlError(1, 1, f"unreadable value: {exc}")
    finally:
        loader.dispose()
    try:
        return matrix_from_dict(data)
    except MatrixError as exc:
        located = _at(_locate(root, exc), f"{exc.path}: {exc.message}")
        raise located from exc


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # "- item" indented under its key, as admins write it

    def ignore_aliases(self, data):
        return True  # the loader refuses aliases, so the dumper must never write one

    def represent_list(self, data):
        # Short code lists read best inline ("priority: [P1, P2]"); anything long gets one item a line.
        inline = all(isinstance(v, (str, int)) and (not isinstance(v, str) or len(v) <= 40) for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=inline and len(data) <= 8)


_Dumper.add_representer(list, _Dumper.represent_list)

_HEADER = ("# Escalation matrix. Rules are tried by precedence (lower first), then in file order;\n"
           "# the first rule whose every condition holds decides where the case goes.\n")


def dump_matrix_yaml(m: Matrix) -> str:
    rules = matrix_to_dict(m)["rules"]
    if not rules:
        return _HEADER + "rules: []\n"
    # Each rule is dumped on its own so a blank line can separate rules: long matrices stay easy to scan and
    # to diff. Indenting every line is safe because the dumper never writes block scalars (| or >), and
    # leading spaces on the continuation line of a plain or quoted scalar are folded away when read back.
    dumped = [yaml.dump([rule], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                        default_flow_style=False) for rule in rules]
    indented = ("".join(f"  {line}" for line in d.splitlines(True)) for d in dumped)
    return _HEADER + "rules:\n" + "\n".join(indented)
