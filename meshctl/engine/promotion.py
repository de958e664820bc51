"""`plan -e TARGET --from SOURCE`: the two environments' definitions compared (plan.promotion).

The source environment is loaded and compiled OFFLINE: no provider, backend or credential
store of it is ever made, so comparing never reaches the source environment's servers or
state. Both sides are compiled the same way (against an empty state, no deployer asked), so
what differs is the definitions, not where each environment's products are in their life.
"""

from __future__ import annotations

import dataclasses

from meshctl.engine.run import Run
from meshctl.engine.workspace import Workspace
from meshctl.errors import ConfigError, MeshError
from meshctl.plan.promotion import Promotion, compare
from meshctl.state_model import State


def promotion(ws: Workspace, source: str) -> Promotion:
    target = ws.environment
    if target is None:
        raise MeshError(f"--from {source} compares two environments: name the one to plan with -e")
    if source == target:
        raise MeshError(f"--from {source} names the environment being planned: name another one")
    options = dataclasses.replace(ws.load_options, environment=source, saved_variables={}, saved_sensitive=frozenset())
    other = Workspace(ws.directory, options, ws.state_dir, env=ws.env, today=ws.today)
    # Loaded and compiled only: `offline` reads no state and asks nobody who deploys.
    try:
        source_resources = Run(other, State(), offline=True).resources
    except ConfigError as exc:  # say which environment's configuration it is
        raise ConfigError(
            [dataclasses.replace(d, summary=f"{d.summary} [--from {source}]") for d in exc.diagnostics]
        ) from None
    target_resources = Run(ws, State(), offline=True).resources
    return compare(source, target, source_resources, target_resources)
