"""Where the files that ship with digest live: templates, configs, gazetteer, lexicons, demo feeds.

In an installed wheel, `templates/` and `config/` are copied into `digest/_bundled/`; in a source
checkout they are read from the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    for candidate in (PACKAGE_DIR / "_bundled" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} is missing from the installation")


def templates_dir() -> Path:
    return bundled_dir("templates")


def bundled_config(filename: str) -> Path:
    return bundled_dir("config") / filename


def package_data(*parts: str) -> Path:
    return PACKAGE_DIR.joinpath(*parts)
