"""What the embedded default published into the data folder's `site`."""

from __future__ import annotations

from pathlib import Path


def site_files(home: Path) -> dict[str, bytes]:
    site = home / "site"
    if not site.exists():
        return {}
    return {
        str(path.relative_to(site)): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file()
    }
