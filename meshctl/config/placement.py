"""Which data products, applications, integrations and copies exist in the selected environment.

`environments = ["dev", "staging"]` on a `data_product` (one block is one version, so a new
version can reach prod after the others), an `application`, an `integration` or a `copy` limits it to
those environments; without it, it exists in every environment. In an environment that lacks
a product:
- the `access` grants on it are dropped with it: a grant is about its product and cannot
  exist without it (the grant stays in the files and returns when the product does);
- an application or integration that reads or writes it is an error, never a silent
  half-application: it names the product, and the hint says to limit the application (or
  integration) to the same environments; so is a copy of it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable

from meshctl.config.environments import Environment, check_known
from meshctl.errors import Diagnostics
from meshctl.mesh.model import Application, Copy, DataProduct, Integration, Mesh

_VERSIONED = re.compile(r"^(.+)\.v(\d+)$")


def place(mesh: Mesh, environment: Environment, diags: Diagnostics) -> Mesh:
    """The mesh as `environment` has it; the same object when nothing is limited."""
    every: list[DataProduct | Application | Integration | Copy] = [
        *mesh.products,
        *mesh.applications,
        *mesh.integrations,
        *mesh.copies,
    ]
    limited = [x for x in every if x.environments is not None]
    if not limited:
        return mesh  # a mesh that never says `environments`: exactly as before
    for item in limited:
        src = item.srcs.get("environments", item.src)
        names = item.environments or ()
        if not names:
            diags.error(
                "environments is empty: this would exist in no environment",
                src,
                hint="list the environments it exists in, or remove the block",
            )
        check_known(names, src, environment, diags)

    def here(item: DataProduct | Application | Integration | Copy) -> bool:
        return item.environments is None or environment.name in item.environments

    placed = dataclasses.replace(
        mesh,
        products=[p for p in mesh.products if here(p)],
        access=list(mesh.access),
        applications=[a for a in mesh.applications if here(a)],
        integrations=[i for i in mesh.integrations if here(i)],
        copies=[c for c in mesh.copies if here(c)],
    )
    placed.access = [a for a in mesh.access if not _absent(placed, mesh, a.product, a.version)]
    placed.applications = [a for a in placed.applications if _uses_present(placed, mesh, a, environment, diags)]
    placed.integrations = [i for i in placed.integrations if _uses_present(placed, mesh, i, environment, diags)]
    placed.copies = [c for c in placed.copies if _source_present(placed, mesh, c, environment, diags)]
    return placed


def _source_present(placed: Mesh, whole: Mesh, copy: Copy, environment: Environment, diags: Diagnostics) -> bool:
    """False (after an error) when the copy's source version is not in this environment."""
    if not _absent(placed, whole, copy.product, copy.version):
        return True
    product = whole.product(copy.product, copy.version)
    assert product is not None  # _absent: declared in the whole mesh
    listed = json.dumps(list(product.environments or ()))
    diags.error(
        f'copy "{copy.name}" copies {copy.product} v{copy.version}, which environment "{environment.name}" '
        "does not have",
        copy.srcs.get("product", copy.src),
        detail=f"{product.address} ({product.src}) exists in environments {', '.join(product.environments or ())}",
        hint=f"limit the copy to the same environments: environments = {listed}",
    )
    return False


def _absent(placed: Mesh, whole: Mesh, key: str, version: int | None) -> bool:
    """The product (version) is declared, but not in this environment."""
    return placed.product(key, version) is None and whole.product(key, version) is not None


def _entries(item: Application | Integration) -> Iterable[tuple[str, str, int | None]]:
    """(attribute, product key, version) of each product the item reads or writes."""
    for entry in item.reads:
        m = _VERSIONED.match(entry)
        yield ("reads", m.group(1), int(m.group(2))) if m else ("reads", entry, None)
    for entry in getattr(item, "writes", ()):
        m = _VERSIONED.match(entry)
        name, version = (m.group(1), int(m.group(2))) if m else (entry, None)
        yield "writes", f"{item.domain}.{name}", version


def _uses_present(
    placed: Mesh, whole: Mesh, item: Application | Integration, environment: Environment, diags: Diagnostics
) -> bool:
    """False (after an error) when `item` reads or writes a product this environment lacks."""
    kind = "application" if isinstance(item, Application) else "integration"
    for attr, key, version in _entries(item):
        if not _absent(placed, whole, key, version):
            continue
        product = whole.product(key, version)
        assert product is not None  # _absent: declared in the whole mesh
        shown = f"{key}.v{version}" if version else key
        listed = json.dumps(list(product.environments or ()))
        diags.error(
            f'{kind} "{item.name}" {attr} "{shown}", which environment "{environment.name}" does not have',
            item.srcs.get(attr, item.src),
            detail=f"{product.address} ({product.src}) exists in environments {', '.join(product.environments or ())}",
            hint=f"limit the {kind} to the same environments: environments = {listed}, or drop {shown} from {attr}",
        )
        return False
    return True
