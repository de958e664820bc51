"""Mesh model -> schema registry subjects: `<topic>-value` and, with a key schema, `<topic>-key`."""

from __future__ import annotations

from collections.abc import Mapping

from meshctl.attributes import SchemaSubject
from meshctl.compile.lifecycle import LIVE, Stage
from meshctl.mesh.model import Mesh
from meshctl.naming import subject_name
from meshctl.resources import Resource
from meshctl.schemas.diff import canonical


def compile_registry(mesh: Mesh, stages: Mapping[str, Stage] | None = None) -> list[Resource]:
    out = []
    for product in mesh.products:
        if product.schema is None or not (stages or {}).get(product.address, Stage(LIVE)).exists:
            continue
        topic = mesh.topic_name(product)
        parts = [("value", product.schema.type, product.schema.text)]
        if product.schema.key_text is not None:
            parts.append(("key", product.schema.key_type or product.schema.type, product.schema.key_text))
        for part, type_, text in parts:
            subject = subject_name(topic, part)
            out.append(
                Resource(
                    "schema_subject",
                    subject,
                    SchemaSubject(
                        subject=subject,
                        schema_type=type_,
                        schema=canonical(type_, text),
                        compatibility=product.schema.compatibility,
                    ),
                    product.address,
                    domain=product.domain,
                )
            )
    return out
