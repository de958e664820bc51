"""The wiring a command runs in: the configuration, and from it the providers, the state
backend and the credential store. A run (engine.run) compiles, plans and applies against it.

It never prints; callers pass hooks and render results.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

from meshctl import interrupt
from meshctl.aws_session import client as aws_client
from meshctl.compile.aws import RESOURCE_POLICY_TYPES
from meshctl.config.builder import http_url_problem
from meshctl.config.kafka_settings import client_config
from meshctl.config.loader import LoadedConfig, LoadOptions, load
from meshctl.config.parse_cache import parse_cache_dir
from meshctl.credentials import CredentialStore, LocalCredentialStore, SecretsManagerCredentialStore
from meshctl.engine.run import Run
from meshctl.errors import MeshError
from meshctl.naming import DEFAULT_CLUSTER, cluster_env_prefix, on_cluster
from meshctl.providers.aws.provider import AwsProvider, AwsSettings
from meshctl.providers.base import Provider
from meshctl.providers.clusters import ClusterKafkaProvider, ClusterRegistryProvider, LazyStore
from meshctl.providers.connect.client import ConnectClient
from meshctl.providers.connect.provider import ConnectProvider, ConnectSettings
from meshctl.providers.kafka.client import KafkaClient
from meshctl.providers.kafka.provider import KafkaProvider
from meshctl.providers.registry.client import RegistryClient
from meshctl.providers.registry.provider import RegistryProvider
from meshctl.resources import provider_of
from meshctl.state.backend import StateBackend
from meshctl.state.local import LocalBackend
from meshctl.state.s3 import S3Backend, S3Settings
from meshctl.state_model import State

ENV_BOOTSTRAP = "MESHCTL_KAFKA_BOOTSTRAP_SERVERS"
ENV_REGISTRY_URL = "MESHCTL_REGISTRY_URL"
ENV_CONNECT = "MESHCTL_CONNECT_"  # URL, USERNAME, PASSWORD, CREDENTIALS_DIR, CREDENTIALS_MOUNT


@dataclass
class Workspace:
    directory: Path
    load_options: LoadOptions = field(default_factory=LoadOptions)
    state_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    today: date = field(default_factory=date.today)
    preloaded: LoadedConfig | None = None  # a configuration given rather than loaded (an empty mesh to discover into)

    def __post_init__(self) -> None:
        base = self.state_dir or self.directory / ".meshctl"
        # Each environment's local state and credentials live apart: .meshctl/env/<NAME>/. The
        # name is checked (a declared environment, a plain name) before anything reads them.
        self.meta_dir = base / "env" / self.environment if self.environment else base
        if self.load_options.cache_dir is None:  # the user's cache: nothing is read from or written to the mesh
            self.load_options.cache_dir = parse_cache_dir(self.env)
        self._config: LoadedConfig | None = self.preloaded
        self._providers: dict[str, Provider] | None = None
        self._backend: StateBackend | None = None
        self._deployers: tuple[str, ...] | None = None
        self._aws: AwsProvider | None = None

    # -- configuration ------------------------------------------------------

    @property
    def environment(self) -> str | None:
        """The environment selected (`-e`, MESHCTL_ENVIRONMENT); None: the mesh's only one."""
        return self.load_options.environment

    @property
    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load(self.directory, self.load_options)
        return self._config

    def deployers(self) -> tuple[str, ...]:
        """Whom every Deny of a resource policy admits: `aws.deployer_arns`, else the caller
        from STS, asked once and only for a mesh with resource policies. The caller must be
        in the mesh's `account_id`: its ARN would admit nobody in another account."""
        if self._deployers is None:
            mesh = self.config.mesh
            if mesh.deployers or not any(r.type in RESOURCE_POLICY_TYPES for r in mesh.resources):
                self._deployers = mesh.deployers
            else:
                caller = self._aws_provider().identity()
                expected = mesh.aws.get("account_id")
                if expected and caller.account != expected:
                    raise MeshError(
                        f"the AWS credentials are for account {caller.account}, but aws.account_id is {expected}: "
                        "use that account's profile or credentials"
                    )
                self._deployers = (caller.principal_arn,)
        return self._deployers

    def domain_scope(self, names: tuple[str, ...]) -> frozenset[str]:
        """The domains of the subtrees rooted at `names`."""
        mesh = self.config.mesh
        unknown = [n for n in names if n not in mesh.domains]
        if unknown:
            raise MeshError(f"--domain {unknown[0]}: no such domain (domains: {', '.join(sorted(mesh.domains))})")
        return frozenset(d for n in names for d in mesh.subtree(n))

    # -- state ----------------------------------------------------------------

    @property
    def backend(self) -> StateBackend:
        if self._backend is None:
            self._backend = self._make_backend()
        return self._backend

    def _make_backend(self) -> StateBackend:
        cfg = self.config.mesh.backend
        # A top-level backend that the selected environment does not replace is shared by every
        # environment: each gets its own place in it (`env/<NAME>/` under the path or key).
        shared = self.config.environment.is_declared and not self.config.environment.has_own("backend")
        env_part = f"env/{self.config.environment.name}" if shared else ""
        if cfg is None or cfg.type == "local":
            path = cfg.settings.get("path") if cfg else None
            if path and self.state_dir is None:
                return LocalBackend(self.directory / path / env_part if env_part else self.directory / path)
            return LocalBackend(self.meta_dir)
        s = cfg.settings
        return S3Backend(
            S3Settings(
                bucket=s["bucket"],
                key=f"{env_part}/{s['key']}" if env_part else s["key"],
                region=s.get("region"),
                profile=s.get("profile"),
                endpoint_url=s.get("endpoint_url"),
                dynamodb_table=s.get("dynamodb_table"),
            )
        )

    def backend_warnings(self) -> list[str]:
        """Advice about where state lives (an S3 bucket without versioning keeps no history)."""
        backend = self.backend
        if isinstance(backend, S3Backend):
            warning = backend.check_versioning()
            return [warning] if warning else []
        return []

    def environment_warnings(self) -> list[str]:
        """A mesh that has just been given environments keeps its earlier state where it was
        (.meshctl/state.json); the selected environment's is elsewhere, so say where to move it
        rather than let a plan start from nothing against objects that exist."""
        if not self.environment or self.config.mesh.backend is not None:
            return []
        earlier = (self.state_dir or self.directory / ".meshctl") / "state.json"
        if earlier.is_file() and not (self.meta_dir / "state.json").is_file():
            return [
                f"{earlier} holds the state from before the mesh had environments; environment "
                f"{self.environment!r} keeps its own in {self.meta_dir}: move the file (and credentials/) there "
                "if it belongs to this environment"
            ]
        return []

    def read_state(self) -> State:
        return self.backend.read()

    @contextmanager
    def locked(self, operation: str) -> Iterator[State]:
        """The state, read under the backend's lock, which is released however the block ends
        (a signal included)."""
        self.backend.lock(operation)
        try:
            yield self.read_state()
        finally:
            with interrupt.shielded():  # Ctrl-C here must not leave the lock behind
                self.backend.unlock()

    # -- providers ----------------------------------------------------------

    def kafka_settings(self, cluster: str = DEFAULT_CLUSTER) -> dict[str, str]:
        self._refuse_other_environment()
        conn = self.config.mesh.connection(cluster)
        return client_config(conn, self.env, self.directory, cluster)

    def _refuse_other_environment(self) -> None:
        """An address from the process environment (MESHCTL_KAFKA_BOOTSTRAP_SERVERS, ...) overrides
        the configuration; when it contradicts the selected environment's own block it most likely
        belongs to another environment (a shell or CI job left set up for dev while applying
        prod), so it is refused rather than letting one environment's run reach another's servers."""
        environment = self.config.environment
        if not environment.is_declared:
            return
        mesh = self.config.mesh
        given: list[tuple[str, str, str, str | None, str]] = []  # block, label, variable, configured, attribute
        for cluster in mesh.cluster_names():  # a named cluster's variables carry its name
            infix = "MESHCTL_KAFKA_" + cluster_env_prefix(cluster)
            conn = mesh.connection(cluster)
            given.append(("kafka", cluster, infix + "BOOTSTRAP_SERVERS", conn.bootstrap_servers, "bootstrap_servers"))
            given.append(("kafka", cluster, infix + "PROPERTIES_FILE", conn.properties_file, "properties_file"))
        for registry in [DEFAULT_CLUSTER, *sorted(mesh.registries)]:
            url = mesh.registry_connection(registry).url
            given.append(
                ("schema_registry", registry, "MESHCTL_REGISTRY_" + cluster_env_prefix(registry) + "URL", url, "url")
            )
        given.append(("kafka_connect", "", ENV_CONNECT + "URL", mesh.connect.url, "url"))
        for block, label, var, configured, attr in given:
            value = self.env.get(var)
            if value and configured and value != configured and environment.has_own(block, label):
                where = block if label in (DEFAULT_CLUSTER, "") else f'{block} "{label}"'
                raise MeshError(
                    f"{var} is {value!r}, but environment {environment.name!r} sets {where}.{attr} = {configured!r}: "
                    f"unset {var} (it overrides the configuration and probably belongs to another environment)"
                )

    @property
    def providers(self) -> dict[str, Provider]:
        """`kafka`, `registry` and `aws`, and `kafka.NAME` / `registry.NAME` per named cluster
        and registry (meshctl.resources.provider_of routes a resource to one). Each connects
        only when first asked."""
        if self._providers is None:
            mesh = self.config.mesh
            self._providers = {
                "kafka": self._kafka_provider(DEFAULT_CLUSTER),
                "registry": RegistryProvider(partial(self._registry_client, DEFAULT_CLUSTER)),
                "aws": self._aws_provider(),
                "connect": ConnectProvider(
                    self._connect_client, self._connect_settings, LazyStore(self.credential_store)
                ),
            }
            for cluster in mesh.clusters:
                self._providers[f"kafka.{cluster}"] = self._kafka_provider(cluster)
            for registry in mesh.registries:
                connect = partial(self._registry_client, registry)
                self._providers[f"registry.{registry}"] = ClusterRegistryProvider(registry, connect)
        return self._providers

    def _kafka_provider(self, cluster: str) -> KafkaProvider:
        """The provider of one cluster; its settings are read when it first connects, so a
        named cluster nothing lives on needs no bootstrap servers."""
        conn = self.config.mesh.connection(cluster)
        if cluster == DEFAULT_CLUSTER:
            settings = self.kafka_settings()
            store = self.credential_store(settings)
            return KafkaProvider(lambda: KafkaClient(settings, conn.request_timeout_s), store)

        def connect() -> KafkaClient:
            return KafkaClient(self.kafka_settings(cluster), conn.request_timeout_s)

        return ClusterKafkaProvider(cluster, connect, LazyStore(lambda: self.credential_store_of(cluster)))

    def _aws_provider(self) -> AwsProvider:
        """One AWS provider, also before (or without) the Kafka and registry ones."""
        if self._aws is None:
            settings = {k: v for k, v in self.config.mesh.aws.items() if k != "account_id"}
            self._aws = AwsProvider(AwsSettings(**settings))
        return self._aws

    def credential_store_of(self, cluster: str) -> CredentialStore:
        """The passwords of a named cluster's principals, apart from the default cluster's:
        `credentials/@eu/` locally, `meshctl/kafka/@eu/<principal>` in Secrets Manager."""
        return self.credential_store(self.kafka_settings(cluster), cluster)

    def credential_store(
        self, settings: dict[str, str] | None = None, cluster: str = DEFAULT_CLUSTER
    ) -> CredentialStore:
        """Secrets Manager when the mesh has an aws block, local 0600 files otherwise."""
        local = LocalCredentialStore(self.meta_dir / "credentials" / on_cluster("", cluster), settings or {})
        if not self.config.mesh.aws:
            return local
        a = self.config.mesh.aws
        return SecretsManagerCredentialStore(  # a mesh on AWS keeps passwords in Secrets Manager
            aws_client("secretsmanager", a.get("region"), a.get("profile"), a.get("endpoint_url")),
            settings or {},
            cluster,
        )

    def migrate_credentials(self) -> list[str]:
        """Local password files move to Secrets Manager once the mesh uses AWS."""
        moved = []
        for cluster in self.config.mesh.cluster_names():
            store = self.credential_store(None, cluster)
            if isinstance(store, SecretsManagerCredentialStore):
                local = LocalCredentialStore(self.meta_dir / "credentials" / on_cluster("", cluster))
                moved += [on_cluster(user, cluster) for user in store.migrate_from(local)]
        return moved

    def providers_in_use(self, state: State | None = None) -> dict[str, Provider]:
        """The providers this mesh needs: the registry only when products have schemas or
        state holds subjects, so a mesh without schemas never needs a registry; a named
        cluster when products live on it or state holds its objects."""
        mesh = self.config.mesh
        recorded = {provider_of(rs.type, address) for address, rs in (state or State()).resources.items()}
        needed = {"kafka"} | recorded
        if not mesh.clusters and any(p.schema for p in mesh.products):
            needed.add("registry")
        for product in mesh.products if mesh.clusters else ():
            cluster = mesh.product_cluster(product)
            if cluster != DEFAULT_CLUSTER:
                needed.add(f"kafka.{cluster}")
            if product.schema:
                registry = mesh.registry_of(cluster)
                needed.add("registry" if registry == DEFAULT_CLUSTER else f"registry.{registry}")
        if any(r.type != "kafka_connector" for r in mesh.resources):
            needed.add("aws")
        if mesh.copies or any(r.type == "kafka_connector" for r in mesh.resources):  # a copy is a connector
            needed.add("connect")
        return {name: p for name, p in self.providers.items() if name in needed}

    def _registry_client(self, registry: str = DEFAULT_CLUSTER) -> RegistryClient:
        """Connected only when a plan has subjects to read: a mesh without schemas needs no registry.
        A named registry's variables carry its name: MESHCTL_REGISTRY_EU_URL."""
        self._refuse_other_environment()
        reg = self.config.mesh.registry_connection(registry)
        prefix = "MESHCTL_REGISTRY_" + cluster_env_prefix(registry)
        url_var = prefix + "URL"
        url = self.env.get(url_var) or reg.url
        if not url:
            block = (
                "a schema_registry block" if registry == DEFAULT_CLUSTER else f'the schema_registry "{registry}" block'
            )
            raise MeshError(
                f"data products have schemas but no schema registry is configured: set url in {block} or {url_var}"
            )
        problem = http_url_problem(url) if self.env.get(url_var) else ""
        if problem:
            raise MeshError(f"{url_var} is not an http(s) URL: {problem}")
        username = self.env.get(prefix + "USERNAME") or reg.username
        password = self.env.get(prefix + "PASSWORD") or reg.password
        return RegistryClient(url, username, password, reg.request_timeout_s)

    def connect_client(self) -> ConnectClient:
        """The Kafka Connect worker's REST client (`meshctl replay` rewinds a copy's connector)."""
        return self._connect_client()

    def _connect_client(self) -> ConnectClient:
        """Connected only when a plan has connectors to read: MESHCTL_CONNECT_URL (USERNAME,
        PASSWORD) over the kafka_connect block."""
        self._refuse_other_environment()
        conn = self.config.mesh.connect
        url = self.env.get(ENV_CONNECT + "URL") or conn.url
        if not url:
            raise MeshError(
                "the mesh has kafka_connector resources but no Kafka Connect worker is configured: "
                f"set url in a kafka_connect block or {ENV_CONNECT}URL"
            )
        problem = http_url_problem(url) if self.env.get(ENV_CONNECT + "URL") else ""
        if problem:
            raise MeshError(f"{ENV_CONNECT}URL is not an http(s) URL: {problem}")
        username = self.env.get(ENV_CONNECT + "USERNAME") or conn.username
        password = self.env.get(ENV_CONNECT + "PASSWORD") or conn.password
        return ConnectClient(url, username, password, conn.request_timeout_s)

    def _connect_settings(self) -> ConnectSettings:
        """Where the worker reads a connector principal's password: the configured folder, else
        (a worker beside meshctl) the local credential store's own; and, for a sandbox, where
        meshctl may write it for the worker."""
        configured = self.env.get(ENV_CONNECT + "CREDENTIALS_DIR") or self.config.mesh.connect.credentials_dir
        mount = self.env.get(ENV_CONNECT + "CREDENTIALS_MOUNT")
        directory = configured
        if not directory and not self.config.mesh.aws:
            directory = str((self.meta_dir / "credentials").absolute())
        return ConnectSettings(directory or None, Path(mount).absolute() if mount else None, self._connect_kafka)

    @property
    def _connect_kafka(self) -> dict[str, str]:
        """How the worker's MirrorMaker 2 clients reach Kafka: as meshctl does, unless
        MESHCTL_CONNECT_KAFKA_BOOTSTRAP_SERVERS says otherwise (a worker inside another network)."""
        settings = self.kafka_settings()
        return {
            "bootstrap.servers": self.env.get(ENV_CONNECT + "KAFKA_BOOTSTRAP_SERVERS")
            or settings.get("bootstrap.servers", ""),
            "security.protocol": settings.get("security.protocol", "PLAINTEXT"),
        }

    def registry_url(self, registry: str = DEFAULT_CLUSTER) -> str:
        """The registry's URL as configured, "" when none is (for client configurations)."""
        variable = "MESHCTL_REGISTRY_" + cluster_env_prefix(registry) + "URL"
        return self.env.get(variable) or self.config.mesh.registry_connection(registry).url or ""

    def admin_requests(self) -> int:
        return sum(p.requests for p in self.providers.values())

    @property
    def principal(self) -> str:
        """The principal meshctl connects to Kafka as ("" when it authenticates otherwise)."""
        return self.kafka_settings().get("sasl.username") or ""

    def cluster_principals(self) -> dict[str, str]:
        """The principal meshctl connects as on each named cluster it can reach; a cluster
        without settings is skipped here (its provider says what is missing when it is used)."""
        out = {}
        for cluster in self.config.mesh.clusters:
            try:
                out[cluster] = self.kafka_settings(cluster).get("sasl.username") or ""
            except MeshError:
                continue
        return out

    # -- runs -----------------------------------------------------------------

    def run(self, state: State | None = None, *, offline: bool = False) -> Run:
        """A run against `state`, read from the backend when not given; `offline` (validate)
        reads no state and asks nobody who deploys: nothing is applied."""
        if state is None:
            state = State() if offline else self.read_state()
        return Run(self, state, offline=offline)
