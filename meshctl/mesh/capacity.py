"""What the live cluster can hold, checked against what the mesh asks for. Pure: refresh
brings the facts (the broker count), this turns them into configuration diagnostics."""

from __future__ import annotations

from meshctl.errors import Diagnostic, SourceRange, error
from meshctl.mesh.model import Mesh
from meshctl.resources import Resource


def replication_errors(desired: list[Resource], brokers: int, mesh: Mesh) -> list[Diagnostic]:
    """A topic cannot have more replicas than the cluster has brokers: Kafka would refuse it at apply."""
    products = {p.address: p for p in mesh.products}
    # An integration's output topics, by name: their block is the output's.
    outputs = {mesh.output_topic(i, o): o for i in mesh.integrations if i.domain in mesh.domains for o in i.outputs}
    out = []
    for r in desired:
        rf = r.attributes.get("replication_factor") if r.type == "kafka_topic" else None
        if not isinstance(rf, int) or rf <= brokers:
            continue
        product = products.get(r.source)
        output = outputs.get(str(r.attributes.get("name"))) if product is None else None
        src: SourceRange | None
        if output is not None:
            src = output.srcs.get("replication_factor") or output.src
            set_by = "" if "replication_factor" in output.srcs else " (from the domain policy)"
        else:
            src = (product.srcs.get("topic.replication_factor") or product.src) if product else None
            set_by = (
                "" if product is None or "topic.replication_factor" in product.srcs else " (from the domain policy)"
            )
        out.append(
            error(
                f"replication_factor {rf}{set_by} is more than the {brokers} broker(s) of the cluster",
                src,
                detail=f"topic {r.attributes.get('name', r.name)!r}: Kafka keeps each replica on a different broker",
                hint=f"set replication_factor to {brokers} or less, or add brokers",
            )
        )
    return out
