"""Product version lifecycle stages, for the compiler: defined with the model (mesh.lifecycle),
where the planner reads them too."""

from __future__ import annotations

from meshctl.mesh.lifecycle import DEPRECATED, FREEZE, LIVE, MIGRATING, RETIRE, Stage, stages

__all__ = ["DEPRECATED", "FREEZE", "LIVE", "MIGRATING", "RETIRE", "Stage", "stages"]
