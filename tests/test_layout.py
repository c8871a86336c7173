"""DESIGN.md §4 layout: data folders hold no Python, the app never imports the server."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BANNED_IN_APP = {"server", "fastapi", "sqlmodel", "sqlalchemy", "starlette", "uvicorn"}


@pytest.mark.parametrize("folder", ["fhir", "gtfs"])
def test_data_folders_hold_no_python(folder: str) -> None:
    python_files = list((ROOT / folder).rglob("*.py")) if (ROOT / folder).exists() else []

    assert python_files == [], (
        f"{folder}/ must stay data only (a fhir/ package shadows fhir.resources)"
    )


def test_no_test_package_is_named_fhir() -> None:
    assert not any(p.name == "fhir" for p in (ROOT / "tests").rglob("*") if p.is_dir())


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_app_never_imports_the_server() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & BANNED_IN_APP)
        for path in (ROOT / "app").rglob("*.py")
        if _imported_roots(path) & BANNED_IN_APP
    }

    assert offenders == {}


def test_the_app_ships_a_japanese_font() -> None:
    fonts = list((ROOT / "app" / "assets" / "fonts").glob("*.ttf"))

    assert fonts, "the web client shows empty boxes for Japanese without a bundled font"
