"""`meshctl state migrate`: copy the local state to the backend the configuration names."""

from __future__ import annotations

from pathlib import Path

from meshctl.documents import display_path
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.state.local import LocalBackend
from meshctl.state_model import State


def migrate_state(ws: Workspace, from_dir: Path | None = None) -> tuple[State, Path]:
    """Write the local state (under `from_dir`, else the workspace's) to the configured remote backend,
    keeping its serial, then rename the local copy aside; returns the migrated state and that copy."""
    local = LocalBackend(from_dir or ws.meta_dir)
    if isinstance(ws.backend, LocalBackend) and ws.backend.path == local.path:
        raise MeshError('the configuration has no remote backend: add backend "s3" { ... } first')
    if not local.path.exists():
        raise MeshError(f"no local state at {display_path(local.path)}")
    old = local.read()
    with ws.locked("state migrate") as remote:
        if remote.resources or remote.serial:
            raise MeshError(
                f"{ws.backend.describe()} already holds a state (serial {remote.serial}, lineage {remote.lineage}); "
                "refusing to overwrite it"
            )
        old.serial -= 1  # write() raises it again: the migrated state keeps its serial
        ws.backend.write(old)
    backup = local.path.with_name("state.json.migrated")
    local.path.rename(backup)
    return old, backup
