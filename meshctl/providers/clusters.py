"""The Kafka and registry providers of a named cluster (`kafka "eu" { ... }`).

They read and write exactly as the default cluster's do; what differs is the addresses: the
objects of cluster eu are addressed `TYPE.@eu/NAME` (meshctl.naming.on_cluster), so a topic or a
principal of the same name can live on two clusters. The managed resources a refresh is given
already carry their addresses; whatever else the listings show (an ACL, a topic or a user
nobody declared, and the ACLs, which are always read back by name) is readdressed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from meshctl.address import Address
from meshctl.credentials import CredentialStore
from meshctl.naming import on_cluster
from meshctl.providers.base import Managed
from meshctl.providers.kafka.client import KafkaClient
from meshctl.providers.kafka.provider import KafkaProvider
from meshctl.providers.registry.client import RegistryClient
from meshctl.providers.registry.provider import RegistryProvider


def readdressed(
    found: Mapping[str, dict[str, object]], cluster: str, managed: Sequence[Managed] = ()
) -> dict[str, dict[str, object]]:
    """The provider's findings with every address but the managed ones moved onto `cluster`."""
    keep = {m.address for m in managed}
    out: dict[str, dict[str, object]] = {}
    for address, attributes in found.items():
        if address in keep:
            out[address] = attributes
        else:
            addr = Address.parse(address)
            out[str(Address.of(addr.type, on_cluster(addr.label, cluster), addr.module))] = attributes
    return out


class ClusterKafkaProvider(KafkaProvider):
    def __init__(self, cluster: str, connect: Callable[[], KafkaClient], credentials: CredentialStore):
        super().__init__(connect, credentials)
        self.cluster = cluster
        self.name = f"kafka.{cluster}"

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        return readdressed(super().refresh(managed), self.cluster, managed)

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return readdressed(super().inventory(with_configs_under), self.cluster)


class ClusterRegistryProvider(RegistryProvider):
    def __init__(self, registry: str, connect: Callable[[], RegistryClient]):
        super().__init__(connect)
        self.cluster = registry
        self.name = f"registry.{registry}"

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        return readdressed(super().refresh(managed), self.cluster, managed)

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return readdressed(super().inventory(with_configs_under), self.cluster)


class LazyStore:
    """A named cluster's credential store, made when a password is first needed: its client
    settings (written next to a local password) come from a connection read only then."""

    def __init__(self, make: Callable[[], CredentialStore]):
        self._make = make
        self._store: CredentialStore | None = None

    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            self._store = self._make()
        return self._store

    def location(self, user: str) -> str:
        return self.store.location(user)

    def get(self, user: str) -> str | None:
        return self.store.get(user)

    def get_or_create(self, user: str, mechanism: str) -> str:
        return self.store.get_or_create(user, mechanism)

    def rotate(self, user: str, mechanism: str) -> str:
        return self.store.rotate(user, mechanism)

    def delete(self, user: str) -> None:
        self.store.delete(user)
