"""Copies -> Kafka resources: the copy's topic in the copying domain's namespace (the source
version's partitions and settings under the copying domain's policy), the copy's own principal
reading the source topic and writing the copy's topic and nothing else, and the copying
domain reading its copy. The connector that copies (MirrorMaker 2) is compile.connect's.

Copies live on the default cluster: a copy whose source or copying domain is on a named
cluster is not compiled (yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from meshctl.address import Address
from meshctl.attributes import KafkaScramUser
from meshctl.compile.acls import SCRAM_ITERATIONS, acl
from meshctl.mesh.model import Copy, DataProduct, Mesh
from meshctl.naming import DEFAULT_CLUSTER, copy_principal, kafka_principal
from meshctl.resources import Resource

SCRAM_MECHANISM = "SCRAM-SHA-512"


def compiled_copies(mesh: Mesh, topics: Mapping[str, str]) -> list[Copy]:
    """The copies that are compiled: domain and source exist, the source's topic is live, both
    on the default cluster. `topics`: product address -> topic address."""
    out = []
    for c in mesh.copies:
        source = mesh.product(c.product, c.version)
        if c.domain not in mesh.domains or source is None or source.address not in topics:
            continue
        if mesh.product_cluster(source) != DEFAULT_CLUSTER or mesh.domain_cluster(c.domain) != DEFAULT_CLUSTER:
            continue
        out.append(c)
    return out


def compile_copies(
    mesh: Mesh, topics: Mapping[str, str], topic_of: Callable[[DataProduct], Resource]
) -> list[Resource]:
    """`topic_of(product)`: the kafka_topic resource of a product (compile.kafka's)."""
    out: list[Resource] = []
    for c in compiled_copies(mesh, topics):
        product = mesh.copy_product(c)
        source = mesh.product(c.product, c.version)
        if product is None or source is None:
            continue
        topic = topic_of(product)
        out.append(topic)
        user = copy_principal(c.domain, c.name, c.version)
        me = str(Address("kafka_scram_user", user))
        out.append(
            Resource(
                "kafka_scram_user",
                user,
                KafkaScramUser(name=user, mechanism=SCRAM_MECHANISM, iterations=SCRAM_ITERATIONS),
                c.address,
                # On AWS the password waits for its secret (compile.aws declares it, with its policy):
                # else the credential store would create the secret first, with no policy at all.
                (str(Address("aws_secretsmanager_secret", user)),) if mesh.aws else (),
                domain=c.domain,
            )
        )
        who = kafka_principal(user)
        read = ["DESCRIBE", "READ"]
        out.append(
            acl(
                who,
                "TOPIC",
                mesh.topic_name(source),
                "LITERAL",
                read,
                c.address,
                (topics[source.address], me),
                c.domain,
            )
        )
        out.append(
            acl(who, "TOPIC", topic.name, "LITERAL", ["DESCRIBE", "WRITE"], c.address, (topic.address, me), c.domain)
        )
        # The copying domain reads its copy (its group prefix comes with its grant of the source).
        domain_user = str(Address("kafka_scram_user", c.domain))
        out.append(
            acl(
                kafka_principal(c.domain),
                "TOPIC",
                topic.name,
                "LITERAL",
                read,
                c.address,
                (topic.address, domain_user),
                c.domain,
            )
        )
    return out
