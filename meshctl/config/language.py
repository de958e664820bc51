"""The schemas of meshctl's top-level blocks: the language reference in code."""

from __future__ import annotations

from meshctl.config.schema import Attr, BlockSchema

OWNERS = BlockSchema(
    attrs={
        "accountable": Attr("any", required=True, doc="exactly one person or team"),
        "responsible": Attr("any"),
        "consulted": Attr("list(string)"),
        "informed": Attr("list(string)"),
    },
    required=True,
)

POLICY = BlockSchema(
    attrs={
        "min_replication_factor": Attr("number"),
        "min_insync_replicas": Attr("number"),
        "max_partitions": Attr("number"),
        "max_retention": Attr("string", doc='a duration such as "30d"'),
        "allowed_kinds": Attr("list(string)"),
        "allowed_vendors": Attr("list(string)"),
        "allow_override": Attr("bool"),
        "baseline": Attr("map(any)", doc="settings for the domain-baseline module, inherited down the tree"),
        "max_copies": Attr("number", doc="domains that may copy one product before validate warns (default 2)"),
        "require_approval": Attr(
            "list(string)", doc='"access" and/or "copy": grants or copies of its products need an approval'
        ),
    }
)

DOMAIN = BlockSchema(
    labels=("name",),
    attrs={
        "parent": Attr("string"),
        "description": Attr("string"),
        "cluster": Attr("string", doc="the named Kafka cluster its products live on; subdomains inherit it"),
    },
    blocks={"owners": OWNERS, "policy": POLICY},
)

TOPIC = BlockSchema(
    attrs={
        "name": Attr("string"),
        "partitions": Attr("number"),
        "replication_factor": Attr("number"),
        "config": Attr("map(string)"),
    }
)

DATA_PRODUCT = BlockSchema(
    labels=("name",),
    attrs={
        "domain": Attr("string", required=True, doc="the owning domain"),
        "cluster": Attr("string", doc="the named Kafka cluster it lives on (default: its domain's)"),
        "version": Attr("number"),
        "kind": Attr("string"),
        "description": Attr("string"),
        "environments": Attr("list(string)", doc="the environments it exists in (default: every one)"),
    },
    blocks={
        "topic": TOPIC,
        "delivery": BlockSchema(
            attrs={
                "duplicates": Attr("string", doc='"tolerated" (consumers are idempotent) or "not_tolerated"'),
                "out_of_order_window": Attr("string", doc='how late a record may arrive, a duration such as "30s"'),
                "ordering": Attr("string", doc='"per_key" (records of a key arrive in order) or "none"'),
            },
            list_known=True,
        ),
        "sla": BlockSchema(
            attrs={
                "freshness": Attr("string", doc='the newest record is at most this old, a duration such as "5m"'),
                "availability": Attr("string", doc='a percentage such as "99.9%"'),
                "max_lag": Attr("number", doc="records a consumer group may lag, a whole number"),
            },
            list_known=True,
        ),
        "schema": BlockSchema(
            attrs={
                "type": Attr("string", doc="AVRO, JSON or PROTOBUF"),
                "file": Attr("string", required=True, doc="the value schema, relative to the mesh"),
                "compatibility": Attr("string", doc="BACKWARD, FORWARD, FULL, ..._TRANSITIVE or NONE"),
                "key_file": Attr("string", doc="the key schema; fat objects need one"),
                "key_type": Attr("string"),
            }
        ),
        "versioning": BlockSchema(
            attrs={
                "replaces": Attr("number", doc="the version this one replaces"),
                "deprecated": Attr("string", doc="YYYY-MM-DD: the replaced version is deprecated from then"),
                "sunset": Attr("string", doc="YYYY-MM-DD: the replaced version is frozen, then deleted"),
            }
        ),
        # Terraform's meta-block. It also held the versioning keys before `versioning` existed:
        # still read there, with a deprecation warning (config.builder).
        "lifecycle": BlockSchema(
            attrs={
                "prevent_destroy": Attr(
                    "bool", doc="this version's topic and subjects are never deleted or replaced (an error)"
                ),
                "replaces": Attr("number", doc="deprecated here: write it in versioning"),
                "deprecated": Attr("string", doc="deprecated here: write it in versioning"),
                "sunset": Attr("string", doc="deprecated here: write it in versioning"),
            }
        ),
    },
)

# Consent to a grant or a copy, by a person accountable or responsible at the nearest common
# ancestor of the producing and the consuming domain (mesh.governance).
APPROVAL = BlockSchema(
    attrs={
        "by": Attr("string", required=True, doc="accountable or responsible at the nearest common ancestor"),
        "ticket": Attr("string", doc="where the decision is recorded, e.g. GOV-123"),
    }
)

ACCESS = BlockSchema(
    labels=("name",),
    attrs={
        "product": Attr("string", required=True, doc='"<domain>.<product>"'),
        "consumer": Attr("string", required=True, doc="the consuming domain"),
        "version": Attr("number"),
        "mode": Attr("string"),
    },
    blocks={"approval": APPROVAL},
)

COPY = BlockSchema(
    labels=("name",),
    attrs={
        "domain": Attr("string", required=True, doc="the copying domain, which is granted the product"),
        "product": Attr("string", required=True, doc='the source, "<domain>.<product>" (or ".v<n>")'),
        "version": Attr("number", doc="the source version copied (required unless product ends .v<n>)"),
        "description": Attr("string"),
        "environments": Attr("list(string)", doc="the environments it exists in (default: every one)"),
    },
    blocks={"approval": APPROVAL},
)

EXCEPTION = BlockSchema(
    labels=("name",),
    attrs={
        "rule": Attr(
            "string",
            required=True,
            doc="non_idempotent_producer, delivery_contract, retention_above_policy or grant_refused_by_policy",
        ),
        "target": Attr("string", required=True, doc='the address it excuses, e.g. "data_product.sales.orders.v1"'),
        "reason": Attr("string", required=True, doc="why the happy path does not fit"),
        "expires": Attr("string", required=True, doc="YYYY-MM-DD: the last day it is in force"),
        "approved_by": Attr("string", doc="who accepted it"),
    },
)

KAFKA = BlockSchema(
    optional_label="cluster name",  # `kafka "eu" { ... }`: a named cluster; unlabelled: "default"
    attrs={
        "bootstrap_servers": Attr("string"),
        "security_protocol": Attr("string"),
        "sasl_mechanism": Attr("string"),
        "sasl_username": Attr("string"),
        "sasl_password": Attr("string"),
        "properties_file": Attr("string"),
        "config": Attr("map(string)"),
        "request_timeout": Attr("string"),
        "keep_acls_of": Attr("list(string)", doc="principals whose ACLs on managed objects are not meshctl's"),
    },
)

VARIABLE = BlockSchema(
    labels=("name",),
    attrs={
        "default": Attr("any"),
        "type": Attr("any"),
        "description": Attr("string"),
        "sensitive": Attr("bool"),
    },
)

OUTPUT = BlockSchema(
    labels=("name",),
    attrs={
        "partitions": Attr("number", doc="default 1"),
        "replication_factor": Attr("number", doc="default: the domain policy's minimum, else the broker's"),
        "config": Attr("map(string)", doc="topic configs over the events defaults"),
        "description": Attr("string"),
    },
    blocks={
        "lifecycle": BlockSchema(
            attrs={"prevent_destroy": Attr("bool", doc="the topic is never deleted or replaced (an error)")}
        )
    },
    repeatable=True,
)

INTEGRATION = BlockSchema(
    labels=("name",),
    attrs={
        "domain": Attr("string", required=True, doc="the one domain the vendor works for"),
        "vendor": Attr("string", required=True),
        "source": Attr("string", required=True, doc="the module that defines what the vendor may do"),
        "reads": Attr("list(string)", doc='products the domain is granted, e.g. ["sales.orders"]'),
        "inputs": Attr("map(any)", doc="further inputs of the module"),
        "environments": Attr("list(string)", doc="the environments it exists in (default: every one)"),
    },
    blocks={
        "aws": BlockSchema(
            attrs={
                "trusted_principal": Attr("string", doc="the vendor's AWS principal that may assume the role"),
                "external_id": Attr("string", doc="the sts:ExternalId the vendor must present"),
            }
        ),
        # A topic the vendor writes, `<domain path>.<integration>.<NAME>`, managed by meshctl.
        "output": OUTPUT,
    },
)

PRINCIPAL = BlockSchema(
    attrs={
        "provider": Attr("string", doc='how the application authenticates: "scram" (the only one today)'),
        "mechanism": Attr("string", doc="SCRAM-SHA-256 or SCRAM-SHA-512 (default: kafka.sasl_mechanism)"),
    }
)

APPLICATION = BlockSchema(
    labels=("name",),
    attrs={
        "domain": Attr("string", required=True, doc="the one domain the application belongs to"),
        "kind": Attr("string", required=True, doc="producer, consumer, streams or connect"),
        "description": Attr("string"),
        "transactional": Attr("bool", doc="producer: a transactional.id; streams: exactly_once_v2"),
        "idempotent": Attr(
            "bool", doc="false: the producer does not enable idempotence (needs a non_idempotent_producer exception)"
        ),
        "reads": Attr("list(string)", doc='products it consumes, e.g. ["sales.orders", "payments.tx.v2"]'),
        "writes": Attr("list(string)", doc='products of its own domain it produces, e.g. ["orders"]'),
        "environments": Attr("list(string)", doc="the environments it exists in (default: every one)"),
    },
    blocks={
        "principal": PRINCIPAL,
        "aws": BlockSchema(
            attrs={"runs_as": Attr("list(string)", doc="IAM roles or users that may read the application's secret")}
        ),
    },
)

SCHEMA_REGISTRY = BlockSchema(
    optional_label="cluster name",  # `schema_registry "eu" { ... }`: the registry of cluster eu
    attrs={
        "url": Attr("string"),
        "username": Attr("string"),
        "password": Attr("string"),
        "request_timeout": Attr("string"),
    },
)

# The Kafka Connect worker (its REST API) the mesh's `kafka_connector` resources live on.
KAFKA_CONNECT = BlockSchema(
    attrs={
        "url": Attr("string", doc="the REST API, e.g. http://connect:8083"),
        "username": Attr("string", doc="HTTP basic auth, if the worker asks for it"),
        "password": Attr("string"),
        "credentials_dir": Attr(
            "string",
            doc="the folder ON THE WORKER holding <principal>.properties (sasl.mechanism, sasl.password) "
            "for its FileConfigProvider: a secrets mount",
        ),
        "request_timeout": Attr("string"),
    },
)

AWS = BlockSchema(
    attrs={
        "region": Attr("string"),
        "profile": Attr("string"),
        "endpoint_url": Attr("string"),
        "account_id": Attr("string", doc="the account the mesh lives in, for least-privilege ARNs"),
        "deployer_arns": Attr(
            "list(string)",
            doc="IAM users or roles that deploy the mesh: every Deny admits them (default: the caller, from STS)",
        ),
    },
)

BACKEND = BlockSchema(
    labels=("type",),
    attrs={
        "bucket": Attr("string"),
        "key": Attr("string"),
        "region": Attr("string"),
        "profile": Attr("string"),
        "endpoint_url": Attr("string"),
        "dynamodb_table": Attr("string"),
        "path": Attr("string"),
    },
)

# `environment "NAME"`: its attributes; its connection blocks (kafka, schema_registry, aws,
# backend) are read as written by config.environments, which puts them in place of the
# top-level ones before anything is decoded.
ENVIRONMENT = BlockSchema(
    labels=("name",),
    attrs={
        "description": Attr("string"),
        "variables": Attr("map(any)", doc="values of the root variables in this environment"),
    },
)

# A root `output` block (config.root_outputs); not a data product's `output` (OUTPUT above).
ROOT_OUTPUT = BlockSchema(
    labels=("name",),
    attrs={
        "value": Attr("any", required=True, doc="what `meshctl output` and apply show"),
        "description": Attr("string"),
        "sensitive": Attr("bool", doc="shown as (sensitive) unless asked for by name"),
    },
)

TOP_LEVEL = {
    "domain": DOMAIN,
    "data_product": DATA_PRODUCT,
    "access": ACCESS,
    "integration": INTEGRATION,
    "application": APPLICATION,
    "copy": COPY,
    "exception": EXCEPTION,
    "kafka": KAFKA,
    "backend": BACKEND,
    "schema_registry": SCHEMA_REGISTRY,
    "kafka_connect": KAFKA_CONNECT,
    "aws": AWS,
    "module": BlockSchema(labels=("name",)),  # attributes: the module's inputs, config.modules
    "resource": BlockSchema(labels=("type", "name")),  # attributes: per type, config.resource_blocks
    "variable": VARIABLE,
    "locals": BlockSchema(),
    "environment": ENVIRONMENT,
    "output": ROOT_OUTPUT,  # decoded by config.root_outputs, once the modules' outputs are known
    # Decoded by config.moved: the addresses are read as written, not evaluated.
    "moved": BlockSchema(
        attrs={
            "from": Attr("any", required=True, doc="the old address, e.g. module.a.aws_iam_role.x"),
            "to": Attr("any", required=True, doc="the new address"),
        }
    ),
}

# Attributes of the kafka block that hold secrets: they must come from a variable or
# the environment, never from a literal in a file under version control.
SECRET_ATTRIBUTES = {("kafka", "sasl_password"), ("schema_registry", "password"), ("kafka_connect", "password")}
