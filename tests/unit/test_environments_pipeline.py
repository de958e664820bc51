"""examples/ci/environments-pipeline.yml: every environment is planned on a pull request (with
a saved plan each), and the merged plans are applied in order, dev, staging, prod."""

from __future__ import annotations

from pathlib import Path

import yaml

PIPELINE = Path(__file__).parents[2] / "examples" / "ci" / "environments-pipeline.yml"


def test_every_environment_is_planned_with_a_saved_plan() -> None:
    doc = yaml.safe_load(PIPELINE.read_text())
    plan = doc["jobs"]["plan"]
    environments = [m["environment"] for m in plan["strategy"]["matrix"]["include"]]
    assert environments == ["dev", "staging", "prod"]
    assert plan["env"]["MESHCTL_ENVIRONMENT"] == "${{ matrix.environment }}"
    script = next(s["run"] for s in plan["steps"] if s.get("name", "").startswith("Plan"))
    assert "meshctl plan mesh $from --out ${{ matrix.environment }}.plan" in script
    assert {m.get("from") for m in plan["strategy"]["matrix"]["include"]} == {None, "dev", "staging"}


def test_merged_plans_are_applied_in_order() -> None:
    jobs = yaml.safe_load(PIPELINE.read_text())["jobs"]
    assert "needs" not in jobs["apply-dev"] and "merged" in jobs["apply-dev"]["if"]
    assert jobs["apply-staging"]["needs"] == "apply-dev"
    assert jobs["apply-prod"]["needs"] == "apply-staging"
    assert [jobs[j]["with"]["environment"] for j in ("apply-dev", "apply-staging", "apply-prod")] == [
        "dev",
        "staging",
        "prod",
    ]
    assert "meshctl apply ${{ inputs.environment }}.plan" in PIPELINE.read_text()
