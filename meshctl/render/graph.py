"""`meshctl graph`: the domain tree and who consumes which product, as Graphviz DOT."""

from __future__ import annotations

import json

from meshctl.mesh.model import Mesh


def _id(kind: str, name: str) -> str:
    return json.dumps(f"{kind}:{name}")


def render_dot(mesh: Mesh) -> str:
    out = [
        "digraph mesh {",
        "  rankdir = LR;",
        '  node [fontname = "Helvetica", fontsize = 11];',
        '  edge [fontname = "Helvetica", fontsize = 9];',
    ]
    for name in sorted(mesh.domains):
        d = mesh.domains[name]
        owner = d.owners.accountable if d.owners else "?"
        label = json.dumps(f"{name}\n{mesh.path(name)}.*\naccountable: {owner}")
        out.append(f"  {_id('domain', name)} [shape = folder, style = filled, fillcolor = lightblue, label = {label}];")
    for p in sorted(mesh.products, key=lambda p: p.address):
        label = json.dumps(f"{p.name} v{p.version}\n{mesh.topic_name(p)}\n{p.kind}")
        out.append(f"  {_id('product', p.address)} [shape = box, style = rounded, label = {label}];")
    for name in sorted(mesh.domains):
        parent = mesh.domains[name].parent
        if parent in mesh.domains:
            out.append(f"  {_id('domain', parent)} -> {_id('domain', name)} [arrowhead = none, style = bold];")
    for p in sorted(mesh.products, key=lambda p: p.address):
        out.append(f'  {_id("domain", p.domain)} -> {_id("product", p.address)} [label = "owns"];')
    for a in sorted(mesh.access, key=lambda a: a.name):
        product = mesh.product(a.product, a.version)
        if product is not None:
            out.append(
                f"  {_id('product', product.address)} -> {_id('domain', a.consumer)} "
                f'[label = "read by", style = dashed, color = darkgreen];'
            )
    out.append("}")
    return "\n".join(out) + "\n"
