"""Decoded blocks -> the mesh model. Checks that need one block at a time live here;
checks across blocks live in `mesh.validate`."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from meshctl.config.contracts import build_delivery, build_lifecycle, build_schema, build_sla
from meshctl.config.resource_blocks import ignore_changes, protected_at
from meshctl.config.schema import Decoded
from meshctl.errors import Diagnostics, SourceRange
from meshctl.iam.identity import deployer_problem
from meshctl.mesh.durations import parse_duration_ms
from meshctl.mesh.model import (
    APPROVABLE,
    EXCEPTION_RULES,
    KINDS,
    SCRAM_MECHANISMS,
    Access,
    Application,
    Approval,
    BackendConfig,
    ConnectConnection,
    Copy,
    DataProduct,
    Domain,
    Integration,
    IntegrationOutput,
    KafkaConnection,
    Mesh,
    Owners,
    Policy,
    PolicyException,
    PrincipalSpec,
    RegistryConnection,
    ResourceBlock,
    TopicSpec,
    product_ref,
)
from meshctl.mesh.resources import check_resource
from meshctl.naming import DEFAULT_CLUSTER, NAME_HINT, NAME_RE

REGION_RE = re.compile(
    r"^[a-z]{2}(-gov|-iso[a-z]*)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d$"
)


def build_mesh(base_dir: Path, decoded: dict[str, list[Decoded]], diags: Diagnostics) -> Mesh:
    mesh = Mesh(base_dir)
    for d in decoded["domain"]:
        domain = _domain(d, diags)
        if domain is None:
            continue
        if domain.name in mesh.domains:
            diags.error(
                f'duplicate domain "{domain.name}"',
                d.src,
                detail=f"first declared at {mesh.domains[domain.name].src}",
                hint="domain names are unique across the mesh",
            )
            continue
        mesh.domains[domain.name] = domain
    for d in decoded["data_product"]:
        product = _product(d, base_dir, diags)
        if product is not None:
            mesh.products.append(product)
    for d in decoded["access"]:
        grant = _access(d, diags)
        if grant is not None:
            mesh.access.append(grant)
    for d in decoded.get("copy", []):
        copy = _copy(d, diags)
        if copy is not None:
            mesh.copies.append(copy)
    for d in decoded.get("exception", []):
        exception = _exception(d, diags)
        if exception is not None:
            mesh.exceptions.append(exception)
    for d in decoded["kafka"]:
        name = _cluster_label(d, diags)
        if name == DEFAULT_CLUSTER:
            mesh.kafka = _kafka(d, diags)
        elif name:
            mesh.clusters[name] = _kafka(d, diags)
    if decoded["backend"]:
        mesh.backend = _backend(decoded["backend"][0], diags)
    for d in decoded.get("integration", []):
        if _check_name(d, diags):
            aws = d.block("aws")
            mesh.integrations.append(
                Integration(
                    name=d.labels[0],
                    domain=str(d.get("domain")),
                    vendor=str(d.get("vendor")),
                    source=str(d.get("source")),
                    reads=tuple(d.texts("reads") or ()),
                    inputs=d.mapping("inputs"),
                    trusted_principal=str(aws.get("trusted_principal", "")) if aws else "",
                    external_id=str(aws.get("external_id", "")) if aws else "",
                    src=d.src,
                    srcs={**d.srcs, **({f"aws.{k}": v for k, v in aws.srcs.items()} if aws else {})},
                    outputs=_outputs(d, diags),
                    environments=_environments(d),
                    module=d.module,
                )
            )
    for d in decoded.get("application", []):
        app = _application(d, mesh.kafka, diags)
        if app is not None:
            mesh.applications.append(app)
    for d in decoded.get("resource", []):
        block = ResourceBlock(
            d.labels[0],
            d.labels[1],
            dict(d.values),
            d.src,
            dict(d.srcs),
            protected_at=protected_at(d),
            ignore_changes=ignore_changes(d, diags),
        )
        if any(r.address == block.address for r in mesh.resources):
            diags.error(f"duplicate resource {block.address}", d.src, hint="each resource has a unique TYPE.NAME")
            continue
        check_resource(block, mesh, diags)
        mesh.resources.append(block)
    if decoded.get("aws"):
        aws = decoded["aws"][0]
        mesh.aws = {k: str(v) for k, v in aws.values.items() if k != "deployer_arns"}
        mesh.deployers = _deployers(aws, diags)
        region = mesh.aws.get("region")
        if region is not None and not REGION_RE.match(region):
            diags.error(f"unknown AWS region {region!r}", aws.src_of("region"), hint='e.g. "eu-west-1"')
        account = mesh.aws.get("account_id")
        if account is not None and not re.fullmatch(r"\d{12}", account):
            diags.error(f"account_id {account!r} is not a 12-digit AWS account", aws.src_of("account_id"))
    for d in decoded.get("kafka_connect", []):
        mesh.connect = _connect(d, diags)
    for d in decoded["schema_registry"]:
        name = _cluster_label(d, diags)
        if name == DEFAULT_CLUSTER:
            mesh.registry = _registry(d, diags)
        elif name:
            mesh.registries[name] = _registry(d, diags)
    return mesh


def _cluster_label(d: Decoded, diags: Diagnostics) -> str:
    """The cluster a `kafka` or `schema_registry` block connects to: its label, "default"
    without one; "" (reported) when the label is no name."""
    if not d.labels:
        return DEFAULT_CLUSTER
    name = d.labels[0]
    if not NAME_RE.match(name):
        diags.error(f'{d.type} "{name}": a cluster name must be a name', d.src, hint=NAME_HINT)
        return ""
    return name


def _deployers(aws: Decoded, diags: Diagnostics) -> tuple[str, ...]:
    """`deployer_arns`: exact IAM principals, at least one (an empty list would lock meshctl out)."""
    if "deployer_arns" not in aws.values:
        return ()
    arns = tuple(aws.texts("deployer_arns") or ())
    src = aws.src_of("deployer_arns")
    if not arns:
        diags.error(
            "deployer_arns is empty: every Deny would lock meshctl out",
            src,
            hint="name the roles or users that run meshctl, or remove deployer_arns to use the caller's identity",
        )
    account = aws.get("account_id")
    for arn in arns:
        problem = deployer_problem(arn)
        if problem:
            diags.error(f"deployer_arns: {problem}", src)
        elif account and arn.split(":")[4] != account:
            # meshctl's requests come from the credentials' account, which must be account_id.
            diags.error(f"deployer_arns: {arn!r} is not in account_id {account}", src)
    return tuple(dict.fromkeys(arns))


_MAX_REQUEST_TIMEOUT_S = 3600  # librdkafka refuses a longer request timeout
_KAFKA_LIMITS = {"partitions": 2**31 - 1, "replication_factor": 2**15 - 1}


def _request_timeout(d: Decoded, diags: Diagnostics) -> float:
    """`request_timeout = "30s"` of a connection block, in seconds."""
    if "request_timeout" not in d.values:
        return 30.0
    try:
        seconds = parse_duration_ms(str(d.get("request_timeout"))) / 1000
    except ValueError as exc:
        diags.error("invalid request_timeout", d.src_of("request_timeout"), detail=str(exc))
        return 30.0
    if seconds <= 0 or seconds > _MAX_REQUEST_TIMEOUT_S:
        diags.error(
            f"{d.type}.request_timeout must be more than 0s"
            if seconds <= 0
            else f"{d.type}.request_timeout must be 1h or less",
            d.src_of("request_timeout"),
            hint='e.g. request_timeout = "30s"',
        )
        return 30.0
    return seconds


def http_url_problem(url: str) -> str:
    """Why `url` cannot reach an HTTP API ("" when it can): a scheme and a host are needed."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. brackets that are no IPv6 address
        return f"{url!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"{url!r} does not start with http:// or https://"
    if not parts.hostname:
        return f"{url!r} names no host"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return f"{url!r} has an invalid port"
    return ""


def _registry(d: Decoded, diags: Diagnostics) -> RegistryConnection:
    timeout = _request_timeout(d, diags)
    url = d.get("url")
    problem = http_url_problem(str(url)) if url is not None else ""
    if problem:
        diags.error(
            "schema_registry.url is not an http(s) URL",
            d.src_of("url"),
            detail=problem,
            hint='e.g. url = "http://localhost:8081" (Apicurio: "http://localhost:8080/apis/ccompat/v7")',
        )
    return RegistryConnection(
        url=d.text("url"),
        username=d.text("username"),
        password=d.text("password"),
        request_timeout_s=timeout,
        src=d.src,
    )


def _connect(d: Decoded, diags: Diagnostics) -> ConnectConnection:
    timeout = _request_timeout(d, diags)
    url = d.get("url")
    problem = http_url_problem(str(url)) if url is not None else ""
    if problem:
        diags.error("kafka_connect.url is not an http(s) URL", d.src_of("url"), detail=problem,
                    hint='e.g. url = "http://localhost:8083"')  # fmt: skip
    directory = d.text("credentials_dir")
    if directory is not None and not directory.startswith("/"):
        diags.error(
            "kafka_connect.credentials_dir must be an absolute path on the worker",
            d.src_of("credentials_dir"),
            hint='e.g. "/etc/kafka-connect/credentials", where a secrets mount puts <principal>.properties',
        )
    return ConnectConnection(
        url=d.text("url"),
        username=d.text("username"),
        password=d.text("password"),
        credentials_dir=directory,
        request_timeout_s=timeout,
        src=d.src,
    )


def _backend(d: Decoded, diags: Diagnostics) -> BackendConfig | None:
    kind = d.labels[0]
    settings = {k: str(v) for k, v in d.values.items()}
    if kind == "s3":
        for required in ("bucket", "key"):
            if required not in settings:
                diags.error(
                    f'missing required attribute {required!r} in backend "s3"',
                    d.src,
                    hint='e.g. bucket = "acme-meshctl-state", key = "mesh/prod.json"',
                )
        if "path" in settings:
            diags.error("path belongs to the local backend", d.src_of("path"))
    elif kind == "local":
        extra = sorted(set(settings) - {"path"})
        if extra:
            diags.error(f"the local backend takes only path, not {', '.join(extra)}", d.src_of(extra[0]))
    else:
        diags.error(f'unknown backend type "{kind}"', d.src, hint='backends are "local" and "s3"')
        return None
    return BackendConfig(kind, settings, d.src)


def _environments(d: Decoded) -> tuple[str, ...] | None:
    """`environments = [...]` of a product, application or integration; None: every environment
    (the names are checked against the declared ones by config.placement)."""
    names = d.texts("environments")
    return None if names is None else tuple(dict.fromkeys(names))


def _check_name(d: Decoded, diags: Diagnostics) -> bool:
    name = d.labels[0]
    if NAME_RE.match(name):
        return True
    diags.error(f'invalid {d.type} name "{name}"', d.src, hint=NAME_HINT)
    return False


def _as_list(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _domain(d: Decoded, diags: Diagnostics) -> Domain | None:
    if not _check_name(d, diags):
        return None
    owners = None
    o = d.block("owners")
    if o is not None:
        accountable = o.get("accountable")
        names = _as_list(accountable)
        if len(names) != 1 or not names[0].strip():
            diags.error(
                f'domain "{d.labels[0]}" needs exactly one accountable owner, found {len(names)}',
                o.src_of("accountable"),
                detail="RACI: one person or team answers for the domain",
                hint='accountable = "lead@example.com"; put the others under responsible or consulted',
            )
        else:
            owners = Owners(
                accountable=names[0],
                responsible=_as_list(o.get("responsible")),
                consulted=_as_list(o.get("consulted")),
                informed=_as_list(o.get("informed")),
            )
    return Domain(
        name=d.labels[0],
        parent=d.text("parent"),
        description=str(d.get("description", "")),
        owners=owners,
        policy=_policy(d.block("policy"), diags),
        src=d.src,
        srcs=dict(d.srcs),
        cluster=d.text("cluster") or "",
        module=d.module,
    )


def _policy(p: Decoded | None, diags: Diagnostics) -> Policy:
    if p is None:
        return Policy()
    retention = None
    if "max_retention" in p.values:
        try:
            retention = parse_duration_ms(str(p.get("max_retention")))
        except ValueError as exc:
            diags.error("invalid max_retention", p.src_of("max_retention"), detail=str(exc))
    counts: dict[str, int | None] = {}
    for name in ("min_replication_factor", "min_insync_replicas", "max_partitions"):
        value = p.get(name)
        if value is not None and (not isinstance(value, int) or value < 1):
            diags.error(f"{name} must be a whole number of at least 1", p.src_of(name), detail=f"got {value}")
        counts[name] = value if isinstance(value, int) else None
    max_copies = p.get("max_copies")
    if max_copies is not None and (not isinstance(max_copies, int) or max_copies < 0):
        diags.error(
            "max_copies must be a whole number of at least 0", p.src_of("max_copies"), detail=f"got {max_copies}"
        )
        max_copies = None
    approvals = p.texts("require_approval")
    for what in approvals or []:
        if what not in APPROVABLE:
            diags.error(
                f"unknown {what!r} in require_approval",
                p.src_of("require_approval"),
                hint=f"require_approval lists {' and '.join(APPROVABLE)}",
            )
    kinds = p.texts("allowed_kinds")
    vendors = p.texts("allowed_vendors")
    for kind in kinds or []:
        if kind not in KINDS:
            diags.error(
                f"unknown kind {kind!r} in allowed_kinds", p.src_of("allowed_kinds"), hint=f"kinds: {', '.join(KINDS)}"
            )
    return Policy(
        min_replication_factor=counts["min_replication_factor"],
        min_insync_replicas=counts["min_insync_replicas"],
        max_partitions=counts["max_partitions"],
        max_retention_ms=retention,
        allowed_kinds=tuple(kinds) if kinds is not None else None,
        allowed_vendors=tuple(vendors) if vendors is not None else None,
        max_copies=max_copies if isinstance(max_copies, int) else None,
        require_approval=tuple(dict.fromkeys(approvals)) if approvals is not None else None,
        allow_override=bool(p.get("allow_override", False)),
        baseline=p.mapping("baseline"),
        srcs={**p.srcs, "__block__": p.src},
    )


def _topic_counts(t: Decoded, diags: Diagnostics) -> dict[str, int | None] | None:
    """`partitions` (default 1) and `replication_factor` (default None) of a topic-like block;
    None after reporting a value Kafka cannot take."""
    counts: dict[str, int | None] = {"partitions": 1, "replication_factor": None}
    for name in counts:
        value = t.get(name, counts[name])
        if value is None:
            continue
        if not isinstance(value, int) or value < 1:
            diags.error(f"{name} must be a whole number of at least 1", t.src_of(name), detail=f"got {value}")
            return None
        if value > _KAFKA_LIMITS[name]:  # Kafka's wire format: int32, int16
            diags.error(f"{name} must be at most {_KAFKA_LIMITS[name]}", t.src_of(name), detail=f"got {value}")
            return None
        counts[name] = value
    return counts


def _outputs(d: Decoded, diags: Diagnostics) -> tuple[IntegrationOutput, ...]:
    built = (build_output(o, diags) for o in d.blocks.get("output", []))
    return tuple(o for o in built if o is not None)


def build_output(d: Decoded, diags: Diagnostics, module: str = "") -> IntegrationOutput | None:
    """An integration's `output "NAME"` block (or a module's `integration_output "NAME"`)."""
    name = d.labels[0]
    if not NAME_RE.match(name):
        diags.error(f'invalid output name "{name}"', d.src, hint=f"{NAME_HINT}; it ends the topic's name")
        return None
    counts = _topic_counts(d, diags)
    if counts is None:
        return None
    life = d.block("lifecycle")
    srcs = dict(d.srcs)
    if life is not None:
        srcs.update({f"lifecycle.{k}": v for k, v in life.srcs.items()})
    return IntegrationOutput(
        name=name,
        topic=TopicSpec(None, counts["partitions"] or 1, counts["replication_factor"], d.strings("config")),
        src=d.src,
        description=str(d.get("description", "")),
        prevent_destroy=bool(life is not None and life.get("prevent_destroy") is True),
        module=module,
        srcs=srcs,
    )


_VERSIONING_KEYS = ("replaces", "deprecated", "sunset")


def _versioning(d: Decoded, diags: Diagnostics) -> tuple[Decoded | None, Decoded | None]:
    """A product's `lifecycle` block (Terraform's keys: prevent_destroy) and the block that holds
    its versioning: `versioning`, or, as written before it existed, `lifecycle` (a deprecation
    warning at the first such key, saying what to write instead). Both at once is an error."""
    life, versioning = d.block("lifecycle"), d.block("versioning")
    old = [k for k in _VERSIONING_KEYS if life is not None and k in life.values]
    if life is None or not old:
        return life, versioning
    if versioning is not None:
        diags.error(
            f"lifecycle.{old[0]} and a versioning block: a product's versioning is written in one place",
            life.src_of(old[0]),
            hint=f"move {', '.join(old)} into the versioning block",
        )
        return life, versioning
    keys = " ".join(f"{k} = ..." for k in old)
    diags.warning(
        f"lifecycle {{ {', '.join(old)} }} in a data_product is deprecated: write versioning {{ {keys} }}",
        life.src_of(old[0]),
        hint="a product's lifecycle block keeps Terraform's keys (prevent_destroy); versioning says which "
        "version this one replaces and when",
    )
    return life, life


def _product(d: Decoded, base_dir: Path, diags: Diagnostics) -> DataProduct | None:
    if not _check_name(d, diags):
        return None
    version = d.get("version", 1)
    if not isinstance(version, int) or version < 1:
        diags.error("version must be a whole number of at least 1", d.src_of("version"), detail=f"got {version}")
        return None
    kind = str(d.get("kind", "events"))
    if kind not in KINDS:
        diags.error(f"unknown kind {kind!r}", d.src_of("kind"), hint=f"kind is one of: {', '.join(KINDS)}")
    srcs = dict(d.srcs)
    delivery_block = d.block("delivery")
    if delivery_block is not None:  # where an off-path delivery contract is reported (mesh.exceptions)
        srcs.update({f"delivery.{k}": v for k, v in delivery_block.srcs.items()})
    t = d.block("topic")
    counts: dict[str, int | None] = {"partitions": 1, "replication_factor": None}
    config: dict[str, str] = {}
    topic_name = None
    if t is not None:
        config = t.strings("config")
        topic_name = t.text("name")
        srcs.update({f"topic.{k}": v for k, v in t.srcs.items()})
        srcs["topic"] = t.src
        given = _topic_counts(t, diags)
        if given is None:
            return None
        counts = given
    partitions, replication = counts["partitions"] or 1, counts["replication_factor"]
    schema_block = d.block("schema")
    schema = build_schema(schema_block, base_dir, kind, diags) if schema_block else None
    if schema_block:
        srcs.update({f"schema.{k}": v for k, v in schema_block.srcs.items()})
    life, versioning = _versioning(d, diags)
    lifecycle = build_lifecycle(versioning, version, diags, "versioning" if d.block("versioning") else "lifecycle")
    if life is not None and life.get("prevent_destroy") is True:
        lifecycle = replace(lifecycle, prevent_destroy=True)
    # Where each key is written, under one name whichever block holds it (mesh.validate and
    # compile.protection read `lifecycle.replaces` and `lifecycle.prevent_destroy`).
    for block in (versioning, life):
        if block is not None:
            srcs.update({f"lifecycle.{k}": v for k, v in block.srcs.items()})
    return DataProduct(
        name=d.labels[0],
        domain=str(d.get("domain")),
        version=version,
        kind=kind,
        description=str(d.get("description", "")),
        topic=TopicSpec(topic_name, partitions, replication, config),
        delivery=build_delivery(d.block("delivery"), diags),
        sla=build_sla(d.block("sla"), diags),
        src=d.src,
        srcs=srcs,
        schema=schema,
        lifecycle=lifecycle,
        environments=_environments(d),
        cluster=d.text("cluster") or "",
        module=d.module,
    )


def _access(d: Decoded, diags: Diagnostics) -> Access | None:
    if not _check_name(d, diags):
        return None
    product = str(d.get("product"))
    version = d.get("version")
    if version is not None and (not isinstance(version, int) or version < 1):
        diags.error("version must be a whole number of at least 1", d.src_of("version"), detail=f"got {version}")
        return None
    m = re.match(r"^(.+)\.v(\d+)$", product)
    if m and version is None:  # "sales.orders.v1" names a version
        product, version = m.group(1), int(m.group(2))
    return Access(
        name=d.labels[0],
        product=product,
        version=version,
        consumer=str(d.get("consumer")),
        mode=str(d.get("mode", "read")),
        src=d.src,
        srcs=_with_approval(d),
        module=d.module,
        approval=_approval(d, diags),
    )


def _approval(d: Decoded, diags: Diagnostics) -> Approval | None:
    block = d.block("approval")
    if block is None:
        return None
    by, ticket = str(block.get("by", "")), str(block.get("ticket", ""))
    if not _one_line(by, "approval.by", block.src_of("by"), diags) or not _one_line(
        ticket, "approval.ticket", block.src_of("ticket"), diags
    ):
        return None
    return Approval(by=by, src=block.src_of("by"), ticket=ticket)


def _one_line(text: str, what: str, src: SourceRange, diags: Diagnostics) -> bool:
    """A name shown in messages and plans: a control character (a newline) would forge lines."""
    if not any(ord(c) < 32 or ord(c) == 127 for c in text):
        return True
    diags.error(f"{what} must be one line of text", src, hint="remove the line breaks and control characters")
    return False


def _with_approval(d: Decoded) -> dict[str, SourceRange]:
    srcs = dict(d.srcs)
    block = d.block("approval")
    if block is not None:
        srcs["approval"] = block.src
        srcs.update({f"approval.{k}": v for k, v in block.srcs.items()})
    return srcs


def _copy(d: Decoded, diags: Diagnostics) -> Copy | None:
    """A `copy` block: `product = "sales.orders"` with `version = 1`, or `"sales.orders.v1"`."""
    if not _check_name(d, diags):
        return None
    product = str(d.get("product"))
    version = d.get("version")
    if version is not None and (not isinstance(version, int) or version < 1):
        diags.error("version must be a whole number of at least 1", d.src_of("version"), detail=f"got {version}")
        return None
    key, named = product_ref(product)
    if named is not None and version is not None and named != version:
        diags.error(
            f'copy "{d.labels[0]}": product names v{named} but version = {version}',
            d.src_of("version"),
            hint="name the version once: in product or in version",
        )
        return None
    version = version if version is not None else named
    if version is None:
        diags.error(
            f'copy "{d.labels[0]}" names no version of "{product}"',
            d.src_of("product"),
            detail="a copy mirrors one version of the source: a new source version is a new copy",
            hint=f'add version = 1, or write product = "{product}.v1"',
        )
        return None
    return Copy(
        name=d.labels[0],
        domain=str(d.get("domain")),
        product=key,
        version=version,
        src=d.src,
        srcs=_with_approval(d),
        description=str(d.get("description", "")),
        environments=_environments(d),
        approval=_approval(d, diags),
        module=d.module,
    )


def _exception(d: Decoded, diags: Diagnostics) -> PolicyException | None:
    """An `exception` block; what it targets and whether it has expired is mesh.exceptions'."""
    if not _check_name(d, diags):
        return None
    rule = str(d.get("rule"))
    if rule not in EXCEPTION_RULES:
        diags.error(
            f'exception "{d.labels[0]}": unknown rule "{rule}"',
            d.src_of("rule"),
            hint=f"rules: {', '.join(EXCEPTION_RULES)}",
        )
        return None
    reason = str(d.get("reason", "")).strip()
    if not reason:
        diags.error(
            f'exception "{d.labels[0]}" gives no reason',
            d.src_of("reason"),
            hint="say why the happy path does not fit, and what ends the exception",
        )
        return None
    if not _one_line(str(d.get("target")), "exception.target", d.src_of("target"), diags):
        return None
    text = str(d.get("expires"))
    try:
        expires = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        expires = None
    if expires is None:
        diags.error(
            f'exception "{d.labels[0]}": expires {text!r} is not a date',
            d.src_of("expires"),
            hint='write the last day it is in force as YYYY-MM-DD, e.g. expires = "2027-03-31"',
        )
        return None
    return PolicyException(
        name=d.labels[0],
        rule=rule,
        target=str(d.get("target")),
        reason=reason,
        expires=expires,
        src=d.src,
        srcs=dict(d.srcs),
        approved_by=str(d.get("approved_by", "")),
        module=d.module,
    )


def _application(d: Decoded, kafka: KafkaConnection, diags: Diagnostics) -> Application | None:
    """One `application` block; its cross-block rules (domain, reads, writes, principals) are
    `mesh.validate`'s. Every attribute keeps its source range: `principal.mechanism`, `aws.runs_as`."""
    if not _check_name(d, diags):
        return None
    srcs = dict(d.srcs)
    principal = d.block("principal")
    aws = d.block("aws")
    for prefix, nested in (("principal", principal), ("aws", aws)):
        if nested is not None:
            srcs[prefix] = nested.src
            srcs.update({f"{prefix}.{k}": v for k, v in nested.srcs.items()})
    # The mesh's own mechanism when it is a SCRAM one: one mechanism for every principal.
    default = kafka.sasl_mechanism if kafka.sasl_mechanism in SCRAM_MECHANISMS else PrincipalSpec.mechanism
    spec = PrincipalSpec(
        provider=(principal.text("provider") if principal else None) or PrincipalSpec.provider,
        mechanism=(principal.text("mechanism") if principal else None) or default,
    )
    return Application(
        name=d.labels[0],
        domain=str(d.get("domain")),
        kind=str(d.get("kind")),
        src=d.src,
        description=str(d.get("description", "")),
        transactional=bool(d.get("transactional", False)),
        idempotent=bool(d.get("idempotent", True)),
        reads=tuple(d.texts("reads") or ()),
        writes=tuple(d.texts("writes") or ()),
        principal=spec,
        runs_as=tuple((aws.texts("runs_as") if aws else None) or ()),
        srcs=srcs,
        environments=_environments(d),
    )


def _kafka(d: Decoded, diags: Diagnostics) -> KafkaConnection:
    timeout = _request_timeout(d, diags)
    return KafkaConnection(
        bootstrap_servers=d.text("bootstrap_servers"),
        security_protocol=d.text("security_protocol"),
        sasl_mechanism=d.text("sasl_mechanism"),
        sasl_username=d.text("sasl_username"),
        sasl_password=d.text("sasl_password"),
        properties_file=d.text("properties_file"),
        config=d.strings("config"),
        request_timeout_s=timeout,
        keep_acls_of=_principals(d, "keep_acls_of", diags),
        src=d.src,
    )


def _principals(d: Decoded, attr: str, diags: Diagnostics) -> tuple[str, ...]:
    """Kafka principals as the authorizer spells them (`User:name`)."""
    out = tuple(d.texts(attr) or ())
    bad = [p for p in out if not re.fullmatch(r"[A-Za-z]+:[^\s]+", p)]
    if bad:
        diags.error(
            f"kafka.{attr}: {bad[0]!r} is not a Kafka principal",
            d.src_of(attr),
            hint='write the principal type too, e.g. keep_acls_of = ["User:lag-exporter"]',
        )
    return out
