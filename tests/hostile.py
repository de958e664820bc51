"""What a hostile mesh repository could commit: pickles planted where meshctl once cached parses."""

from __future__ import annotations

import hashlib
import pickle
import stat
from pathlib import Path

from meshctl import __version__
from meshctl.config.parse_cache import entry_key


class Payload:
    """A pickle whose loading creates `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


def old_pickle_key(name: str, text: str) -> str:
    """The file name the old pickle cache in DIR/.meshctl/cache/hcl gave a parsed file."""
    return hashlib.sha256(f"{__version__}\0{name}\0{text}".encode()).hexdigest()


def plant_pickles(directory: Path, meta_dirs: list[Path], marker: Path) -> None:
    """A payload at every name the old and the new cache could look up, in each meta directory."""
    payload = pickle.dumps(Payload(marker))
    for meta in meta_dirs:
        cache = meta / "cache" / "hcl"
        cache.mkdir(parents=True, exist_ok=True)
        for hcl_file in directory.glob("*.hcl"):
            name, text = hcl_file.name, hcl_file.read_text()
            for key in (old_pickle_key(name, text), entry_key(name, text)):
                (cache / f"{key}.pickle").write_bytes(payload)
                (cache / f"{key}.json").write_bytes(payload)


def tree(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under `directory` with its mode and content (directories: empty content)."""
    return {
        str(p.relative_to(directory)): (stat.S_IMODE(p.lstat().st_mode), b"" if p.is_dir() else p.read_bytes())
        for p in sorted(directory.rglob("*"))
    }
