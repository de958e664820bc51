"""`import --discover`: read a live cluster and write reviewable HCL. `discover` is pure
(the provider's inventory in, file texts out); `discover_cluster` reads the cluster, for a
mesh that may not exist yet, and `write_discovery` writes the files.

Topic names `<domain path>.<product>.v<N>` give domains, products and versions; READ ACLs
of `User:<domain>` on those topics give access grants. Where it had to guess, the output
says so in a comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from meshctl.address import Address
from meshctl.config.loader import LoadedConfig, LoadOptions
from meshctl.documents import display_path
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.mesh.model import Mesh
from meshctl.naming import NAME_RE

TOPIC_RE = re.compile(
    r"^(?P<path>[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*)\.(?P<product>[a-z][a-z0-9_-]*)\.v(?P<v>\d+)$"
)
_KIND_OF_POLICY = {"compact": "fat_object", "delete": "events"}


@dataclass
class _Product:
    domain: str
    name: str
    version: int
    partitions: int
    replication_factor: int
    config: dict[str, str]
    kind: str = "events"
    notes: list[str] = field(default_factory=list)


@dataclass
class Discovery:
    files: dict[str, str]
    domains: int
    products: int
    grants: int
    skipped: list[str]


def discover(inventory: Mapping[str, Mapping[str, object]], prefix: str = "") -> Discovery:
    parents: dict[str, str | None] = {}
    products: list[_Product] = []
    skipped: list[str] = []
    topic_product: dict[str, _Product] = {}
    types = {address: Address.parse(address).type for address in inventory}
    for address in sorted(inventory):
        if types[address] != "kafka_topic":
            continue
        live = inventory[address]
        name = str(live["name"])
        if prefix and not name.startswith(prefix):
            continue
        m = TOPIC_RE.match(name)
        if not m:
            skipped.append(f"{name}: not named <domain path>.<product>.v<N>")
            continue
        path = m.group("path").split(".")
        clash = _tree_clash(parents, path)
        if clash:
            skipped.append(f"{name}: {clash}")
            continue
        for i, segment in enumerate(path):
            parents.setdefault(segment, path[i - 1] if i else None)
        product = _product(path[-1], m.group("product"), int(m.group("v")), live)
        products.append(product)
        topic_product[name] = product

    grants: list[tuple[str, _Product]] = []
    consumers: set[str] = set()
    for address in sorted(inventory):
        live = inventory[address]
        if types[address] != "kafka_acl" or live.get("resource_type") != "TOPIC":
            continue
        user = str(live["principal"]).split(":", 1)[1]
        read = topic_product.get(str(live.get("resource_name")))
        operations = live.get("operations")
        if read is None or not isinstance(operations, list) or "READ" not in operations or user == read.domain:
            continue
        if not NAME_RE.match(user):
            skipped.append(f"ACL of User:{user}: not a valid domain name")
            continue
        grants.append((user, read))
        if user not in parents:
            consumers.add(user)
            parents[user] = None

    files = {
        "domains.hcl": _domains_hcl(parents, consumers),
        "products.hcl": _products_hcl(products),
        "access.hcl": _access_hcl(grants),
    }
    return Discovery(files, len(parents), len(products), len(grants), skipped)


def _tree_clash(parents: Mapping[str, str | None], path: list[str]) -> str:
    for i, segment in enumerate(path):
        if not NAME_RE.match(segment):
            return f'"{segment}" is not a valid domain name'
        expected = path[i - 1] if i else None
        if segment in parents and parents[segment] != expected:
            return f'domain "{segment}" appears under two parents ({parents[segment]} and {expected})'
    return ""


def _product(domain: str, name: str, version: int, live: Mapping[str, object]) -> _Product:
    raw = live.get("config")
    config = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
    p = _Product(domain, name, version, _count(live["partitions"]), _count(live["replication_factor"]), config)
    policy = config.pop("cleanup.policy", None)
    if policy in _KIND_OF_POLICY:
        p.notes.append(f"kind from cleanup.policy = {policy}")
        p.kind = _KIND_OF_POLICY[policy]
    else:
        if policy is None:
            p.notes.append('guessed: no cleanup.policy on the topic; kind "events" sets it to "delete"')
        else:
            config["cleanup.policy"] = policy
            p.notes.append(f"guessed: cleanup.policy = {policy} is neither compact nor delete; kept as config")
    return p


def _count(value: object) -> int:
    """A partition count or replication factor the cluster reported (an int; tolerantly read)."""
    return value if isinstance(value, int) else int(str(value))


def _q(value: object) -> str:
    return json.dumps(value)


def _domains_hcl(parents: Mapping[str, str | None], consumers: set[str]) -> str:
    out = ["# Domains discovered from topic names by `meshctl import --discover`. Review the owners."]
    for name in sorted(parents, key=lambda n: (_depth(parents, n), n)):
        out.append("")
        if name in consumers:
            out.append(f"# guessed: User:{name} only reads, so it became a top-level domain")
        out.append(f"domain {_q(name)} {{")
        if parents[name]:
            out.append(f"  parent = {_q(parents[name])}")
        out.append("  owners {")
        out.append('    accountable = "TODO" # guessed: who answers for this domain?')
        out.append("  }")
        out.append("}")
    return "\n".join(out) + "\n"


def _depth(parents: Mapping[str, str | None], name: str) -> int:
    depth, cur = 0, parents.get(name)
    while cur:
        depth, cur = depth + 1, parents.get(cur)
    return depth


def _products_hcl(products: list[_Product]) -> str:
    out = ["# Data products discovered from topics named <domain path>.<product>.v<N>."]
    for p in products:
        out.append("")
        for note in p.notes:
            out.append(f"# {note}")
        out.append(f"data_product {_q(p.name)} {{")
        out.append(f"  domain  = {_q(p.domain)}")
        out.append(f"  version = {p.version}")
        out.append(f"  kind    = {_q(p.kind)}")
        out.append("  topic {")
        out.append(f"    partitions         = {p.partitions}")
        out.append(f"    replication_factor = {p.replication_factor}")
        if p.config:
            out.append("    config = {")
            width = max(len(_q(k)) for k in p.config)
            for k, v in sorted(p.config.items()):
                out.append(f"      {_q(k).ljust(width)} = {_q(v)}")
            out.append("    }")
        out.append("  }")
        out.append("}")
    return "\n".join(out) + "\n"


def _access_hcl(grants: list[tuple[str, _Product]]) -> str:
    out = ["# Read grants discovered from READ ACLs on product topics."]
    for consumer, p in grants:
        out.append("")
        out.append(f"access {_q(f'{consumer}_reads_{p.domain}_{p.name}_v{p.version}')} {{")
        out.append(f"  product  = {_q(f'{p.domain}.{p.name}.v{p.version}')}")
        out.append(f"  consumer = {_q(consumer)}")
        out.append("}")
    return "\n".join(out) + "\n"


# -- reading a cluster, writing the files ----------------------------------------------------------


def discovery_workspace(directory: Path, options: LoadOptions, state_dir: Path | None) -> Workspace:
    """The mesh may not exist yet: then connection settings come from the environment alone."""
    if any(directory.glob("*.hcl")):
        return Workspace(directory, options, state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return Workspace(directory, options, state_dir, preloaded=LoadedConfig(Mesh(directory), [], {}))


def discover_cluster(ws: Workspace, prefix: str) -> Discovery:
    """Every topic (with configs under `prefix`), ACL and SCRAM user, turned into HCL."""
    inventory = ws.providers["kafka"].inventory((prefix,) if prefix else ("",))
    return discover(inventory, prefix)


def write_discovery(found: Discovery, out_dir: Path, force: bool) -> list[Path]:
    """The files, written to `out_dir`; an existing one is overwritten only with `force`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = [n for n in found.files if (out_dir / n).exists()]
    if existing and not force:
        raise MeshError(f"{display_path(out_dir / existing[0])} exists: pass --force to overwrite, or --out DIR")
    for name, text in found.files.items():
        (out_dir / name).write_text(text)
    return [out_dir / n for n in found.files]
