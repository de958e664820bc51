"""``python -m meshctl_sandbox up|down|status``: local servers that meshctl can talk to.

``up`` starts every service under ``--dir`` and writes ``<dir>/env`` with the
``export`` lines that point meshctl at them; ``down`` stops them. To add a
service, give it the :class:`Service` methods (a
:class:`~meshctl_sandbox.process.DetachedProcess` does the process work), its
flags in ``_add_service_arguments`` and an entry in ``build_services``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from meshctl_sandbox import connect, moto, registry
from meshctl_sandbox.connect import ConnectSandbox
from meshctl_sandbox.kafka import DEFAULT_CONTROLLER_PORT, DEFAULT_PORT, KafkaSandbox
from meshctl_sandbox.moto import MotoSandbox
from meshctl_sandbox.process import SandboxError, write_private
from meshctl_sandbox.registry import RegistrySandbox

ENV_FILE = "env"
# The second environment's servers (`--second-broker`): their settings, in the same
# MESHCTL_KAFKA_* / AWS_* form, go to their own file, sourced after `env` for that environment.
ENV_FILE_B = "env-b"
SECOND_BROKER_PORT = 19094
SECOND_CONTROLLER_PORT = 19095
SECOND_MOTO_PORT = 15001
SECOND_CONNECT_PORT = 18084
EXIT_NOT_RUNNING = 3  # as LSB init scripts report "not running" for status


class Service(Protocol):
    """What ``up``/``down``/``status`` need from a local server."""

    @property
    def name(self) -> str: ...

    def start(self, timeout: float = ...) -> bool: ...
    def stop(self, timeout: float = ...) -> bool: ...
    def is_running(self) -> bool: ...
    def env_lines(self) -> list[str]: ...
    def summary(self) -> str: ...


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SandboxError(f"${name} must be a port number, not {raw!r}") from None


def _add_service_arguments(parser: argparse.ArgumentParser) -> None:
    kafka = parser.add_argument_group("kafka")
    kafka.add_argument(
        "--port", "--kafka-port", dest="kafka_port", type=int,
        default=_env_int("MESHCTL_SANDBOX_KAFKA_PORT", DEFAULT_PORT),
        help="client (SASL) port (default: $MESHCTL_SANDBOX_KAFKA_PORT or %(default)s)",
    )  # fmt: skip
    controller_env = "MESHCTL_SANDBOX_KAFKA_CONTROLLER_PORT"
    kafka.add_argument(
        "--controller-port", "--kafka-controller-port",
        dest="kafka_controller_port", type=int,
        default=_env_int(controller_env, DEFAULT_CONTROLLER_PORT),
        help=f"KRaft controller port (default: ${controller_env} or %(default)s)",
    )  # fmt: skip
    registry_group = parser.add_argument_group("registry (Apicurio, Confluent API)")
    registry_group.add_argument(
        "--registry-port", type=int,
        default=_env_int("MESHCTL_SANDBOX_REGISTRY_PORT", registry.DEFAULT_PORT),
        help="HTTP port (default: $MESHCTL_SANDBOX_REGISTRY_PORT or %(default)s)",
    )  # fmt: skip
    second = parser.add_argument_group("a second environment (up --second-broker)")
    second.add_argument(
        "--second-broker", action="store_true",
        default=os.environ.get("MESHCTL_SANDBOX_SECOND_BROKER", "") not in ("", "0"),
        help="also start a second, independent Kafka broker and moto server (another environment's "
        "cluster and AWS account); their settings go to <dir>/env-b "
        "(default: $MESHCTL_SANDBOX_SECOND_BROKER)",
    )  # fmt: skip
    second.add_argument(
        "--kafka-b-port", type=int, default=_env_int("MESHCTL_SANDBOX_KAFKA_B_PORT", SECOND_BROKER_PORT),
        help="the second broker's client port (default: $MESHCTL_SANDBOX_KAFKA_B_PORT or %(default)s)",
    )  # fmt: skip
    second.add_argument(
        "--kafka-b-controller-port", type=int,
        default=_env_int("MESHCTL_SANDBOX_KAFKA_B_CONTROLLER_PORT", SECOND_CONTROLLER_PORT),
        help="its KRaft controller port (default: $MESHCTL_SANDBOX_KAFKA_B_CONTROLLER_PORT or %(default)s)",
    )  # fmt: skip
    second.add_argument(
        "--moto-b-port", type=int, default=_env_int("MESHCTL_SANDBOX_MOTO_B_PORT", SECOND_MOTO_PORT),
        help="the second moto server's port (default: $MESHCTL_SANDBOX_MOTO_B_PORT or %(default)s)",
    )  # fmt: skip
    connect_group = parser.add_argument_group("Kafka Connect (a distributed-mode worker on the broker)")
    connect_group.add_argument(
        "--connect-port", type=int,
        default=_env_int("MESHCTL_SANDBOX_CONNECT_PORT", connect.DEFAULT_PORT),
        help="REST port (default: $MESHCTL_SANDBOX_CONNECT_PORT or %(default)s)",
    )  # fmt: skip
    second.add_argument(
        "--connect-b-port", type=int, default=_env_int("MESHCTL_SANDBOX_CONNECT_B_PORT", SECOND_CONNECT_PORT),
        help="the second broker's Connect worker's REST port (default: $MESHCTL_SANDBOX_CONNECT_B_PORT or %(default)s)",
    )  # fmt: skip
    moto_group = parser.add_argument_group("moto (AWS)")
    moto_group.add_argument(
        "--moto-port", type=int,
        default=_env_int("MESHCTL_SANDBOX_MOTO_PORT", moto.DEFAULT_PORT),
        help="HTTP port (default: $MESHCTL_SANDBOX_MOTO_PORT or %(default)s)",
    )  # fmt: skip


def build_services(args: argparse.Namespace) -> list[Service]:
    """Services in start order; ``down`` stops them in reverse.

    Quickest first: a missing moto or Java 21 then fails ``up`` before Kafka's slower start.
    """
    root: Path = args.dir
    kafka = KafkaSandbox(workdir=root / "kafka", port=args.kafka_port, controller_port=args.kafka_controller_port)
    return [
        MotoSandbox(workdir=root / "moto", port=args.moto_port),
        RegistrySandbox(workdir=root / "registry", port=args.registry_port),
        kafka,
        # After its broker; meshctl writes connector credentials into its secrets folder.
        ConnectSandbox(workdir=root / "connect", kafka=kafka, port=args.connect_port,
                       credentials_dirs=[root / "connect" / "secrets"]),
    ]  # fmt: skip


class Second:
    """A service of the second environment: the same server under another name ("kafka-b")."""

    def __init__(self, service: Service) -> None:
        self.service = service

    @property
    def name(self) -> str:
        return f"{self.service.name}-b"

    def start(self, timeout: float = 90.0) -> bool:
        return self.service.start(timeout=timeout)

    def stop(self, timeout: float = 30.0) -> bool:
        return self.service.stop(timeout=timeout)

    def is_running(self) -> bool:
        return self.service.is_running()

    def env_lines(self) -> list[str]:
        return self.service.env_lines()

    def summary(self) -> str:
        return self.service.summary()


def build_second_services(args: argparse.Namespace) -> list[Service]:
    """The second environment's own servers (a second broker, a second AWS endpoint), for
    `--second-broker` on ``up``; ``down`` and ``status`` include them when they were made."""
    root: Path = args.dir
    if not args.second_broker and not (root / "kafka-b").exists():
        return []
    return [
        Second(MotoSandbox(workdir=root / "moto-b", port=args.moto_b_port)),
        Second(
            KafkaSandbox(workdir=root / "kafka-b", port=args.kafka_b_port, controller_port=args.kafka_b_controller_port)
        ),
    ]


def second_connect(args: argparse.Namespace, second: Sequence[Service]) -> list[Service]:
    """The second broker's own Kafka Connect worker: a connector's records go to its worker's
    cluster, so each environment's connectors need a worker on that environment's broker."""
    kafka_b = next((s.service for s in second if isinstance(s, Second) and isinstance(s.service, KafkaSandbox)), None)
    if kafka_b is None:
        return []
    root: Path = args.dir
    worker = ConnectSandbox(workdir=root / "connect-b", kafka=kafka_b, port=args.connect_b_port,
                            credentials_dirs=[root / "connect-b" / "secrets"])  # fmt: skip
    return [Second(worker)]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m meshctl_sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument(
        "--dir", type=Path,
        default=Path(os.environ.get("MESHCTL_SANDBOX_DIR", ".sandbox")),
        help="where data, logs and the env file live"
        " (default: $MESHCTL_SANDBOX_DIR or %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="on failure, also print the tail of the service log or tool output",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for each service")
    _add_service_arguments(parser)
    return parser


def _write_env(path: Path, services: Sequence[Service]) -> None:
    lines = [line for service in services for line in service.env_lines()]
    tmp = path.with_name(path.name + ".tmp")
    write_private(tmp, "\n".join(lines) + "\n")  # holds passwords
    tmp.replace(path)


def cmd_up(services: Sequence[Service], root: Path, timeout: float, second: Sequence[Service] = ()) -> int:
    started: list[Service] = []
    try:
        for service in [*services, *second]:
            if service.start(timeout=timeout):
                started.append(service)
                print(f"{service.name}: started, {service.summary()}")
            else:
                print(f"{service.name}: already running, {service.summary()}")
    except BaseException:
        # All or nothing: do not leave half a sandbox behind.
        for service in reversed(started):
            service.stop()
        raise
    env_path = root / ENV_FILE
    _write_env(env_path, services)
    print(f"env: {env_path} (load it with: . {env_path})")
    if second:
        env_b = root / ENV_FILE_B
        _write_env(env_b, second)
        print(f"env-b: {env_b}, the second environment's (load it after env: . {env_path} && . {env_b})")
    return 0


def cmd_down(services: Sequence[Service], root: Path) -> int:
    for service in reversed(services):
        print(f"{service.name}: {'stopped' if service.stop() else 'not running'}")
    (root / ENV_FILE).unlink(missing_ok=True)  # its values point at nothing now
    (root / ENV_FILE_B).unlink(missing_ok=True)
    return 0


def cmd_status(services: Sequence[Service]) -> int:
    all_running = True
    for service in services:
        running = service.is_running()
        all_running &= running
        state = f"running, {service.summary()}" if running else "stopped"
        print(f"{service.name}: {state}")
    return 0 if all_running else EXIT_NOT_RUNNING


def _run(args: argparse.Namespace) -> int:
    root: Path = args.dir
    services = build_services(args)
    second = build_second_services(args)
    second = [*second, *second_connect(args, second)]
    if args.command == "up":
        return cmd_up(services, root, args.timeout, second if args.second_broker else ())
    if args.command == "down":
        return cmd_down([*services, *second], root)
    return cmd_status([*services, *second])


def _report(exc: Exception, verbose: bool) -> int:
    reason = exc.reason if isinstance(exc, SandboxError) else str(exc)
    print(f"sandbox: error: {reason}", file=sys.stderr)
    if verbose and isinstance(exc, SandboxError) and exc.details:
        print(exc.details, file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SandboxError as exc:  # a malformed $MESHCTL_SANDBOX_* default
        return _report(exc, verbose=False)
    args.dir = args.dir.absolute()
    try:
        return _run(args)
    except (SandboxError, OSError) as exc:
        return _report(exc, args.verbose)
    except KeyboardInterrupt:
        print("sandbox: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
