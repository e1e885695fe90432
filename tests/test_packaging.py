"""Packaging: every package directory is shipped, schemas included."""

import configparser
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_directory_is_listed_in_setup_cfg() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())

    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("pta_analyzer", "pta_tasks", "pta_api")
        for init in (ROOT / top).rglob("__init__.py")
    }

    assert on_disk <= listed, sorted(on_disk - listed)


def test_schemas_are_importable_package_data() -> None:
    names = {p.name for p in resources.files("pta_schemas").iterdir()}

    assert {"operate.schema.json", "claims.schema.json", "coverage.schema.json",
            "target_howto.schema.json", "common.schema.json"} <= names  # fmt: skip
