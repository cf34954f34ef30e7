"""Reading the YAML files of a rules folder: parsed by libyaml when PyYAML has it, a key given twice in one
mapping refused (YAML itself keeps the last silently), and every failure naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import KnowledgeBaseError


class YamlSyntaxError(ValueError):
    """A document PyYAML could not parse; the message is PyYAML's."""


class DuplicateKeyError(YamlSyntaxError):
    """A mapping that gives the same key twice: ``field`` is the dotted place of the second one."""

    def __init__(self, field: str, key: str, line: int, first_line: int) -> None:
        self.field = field
        super().__init__(
            f"duplicate key '{key}' on line {line} (first on line {first_line}): "
            "YAML would keep only the last one"
        )


def _check_duplicates(node: Any, where: tuple[str, ...]) -> None:
    """Refuse a key given twice in any mapping under ``node`` (a composed YAML node)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:` merges; explicit keys may override
                continue
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DuplicateKeyError(".".join((*where, key)), key, line, seen[key])
            seen[key] = line
            _check_duplicates(value_node, (*where, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, (*where, str(i)))


def parse_yaml(text: str) -> Any:
    """``text`` as a YAML document, read by libyaml when PyYAML has it (ten times faster); a syntax error
    raises :class:`YamlSyntaxError`, a key given twice in one mapping :class:`DuplicateKeyError`. PyYAML is
    imported here, on first use, and nowhere else on the way to a knowledge base: one read from the cache
    needs none of it."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_duplicates(node, ())
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc)) from exc
    finally:
        loader.dispose()


def read_text(path: Path) -> str:
    """The UTF-8 text of ``path``; a file that cannot be read, or is not UTF-8, names itself in the error."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise KnowledgeBaseError(str(path), "(file)", f"cannot be read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise KnowledgeBaseError(
            str(path),
            "(file)",
            f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at byte position {exc.start} "
            f"(line {line}): {exc.reason}",
        ) from exc


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``; a file that cannot be read, is not UTF-8 or cannot be parsed, or a
    key given twice, names the file in the error (and the field, for a duplicate key)."""
    text = read_text(path)
    try:
        return parse_yaml(text)
    except DuplicateKeyError as exc:
        raise KnowledgeBaseError(str(path), exc.field, str(exc)) from exc
    except YamlSyntaxError as exc:
        raise KnowledgeBaseError(str(path), "(yaml)", str(exc).replace("\n", " ")) from exc
