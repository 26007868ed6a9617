"""Documentation kept true: every configuration key is documented in docs/configuration.md."""

from __future__ import annotations

from pydantic import BaseModel

from digest.config import DigestConfig

from .conftest import REPO


def _keys(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    sections = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            sections[name] = inner
    return sections


def test_every_config_key_is_documented() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, model in _keys(DigestConfig).items():
        heading = f"## `[{section}]`" if f"## `[{section}]`" in doc else f"## `[[{section}]]`"
        assert heading in doc, f"section {section} is not documented"
        part = doc.split(heading, 1)[1].split("\n## ", 1)[0]
        for key in model.model_fields:
            assert f"| `{key}` |" in part, f"{section}.{key} is not documented"


def test_readme_quick_start_has_exactly_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert commands == ["pip install . && digest demo", "pip install '.[test]' && pytest"]
