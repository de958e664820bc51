"""`prevent_destroy`: which compiled resources a configuration protects, and where. Pure."""

from __future__ import annotations

from dataclasses import replace

from meshctl.address import outside_modules
from meshctl.mesh.model import Mesh
from meshctl.resources import Resource

# A product version's data lives in its topic and its subjects; its ACLs may still change.
_PRODUCT_DATA = ("kafka_topic", "schema_subject")


def protect(resources: list[Resource], mesh: Mesh) -> list[Resource]:
    """The resources with `protected_at` set to the `file:line` of the prevent_destroy that covers them."""
    by_block = {b.address: b.protected_at for b in mesh.resources if b.protected_at}
    by_product = {
        p.address: str(p.srcs.get("lifecycle.prevent_destroy", p.src))
        for p in mesh.products
        if p.lifecycle.prevent_destroy
    }
    by_topic = {
        mesh.output_topic(i, o): str(o.srcs.get("lifecycle.prevent_destroy", o.src))
        for i in mesh.integrations
        for o in i.outputs
        if o.prevent_destroy
    }
    out = []
    for r in resources:
        where = by_product.get(r.source, "") if r.type in _PRODUCT_DATA else by_block.get(r.address, "")
        if r.type == "kafka_topic" and outside_modules(r.source).startswith("integration."):  # an integration's output
            where = by_topic.get(r.name, "")
        out.append(replace(r, protected_at=where) if where else r)
    return out
