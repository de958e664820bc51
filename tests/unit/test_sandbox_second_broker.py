"""`python -m meshctl_sandbox up --second-broker`: which services a second environment gets,
where they listen and where their settings go (no server is started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl_sandbox.__main__ import ENV_FILE_B, _parser, build_second_services, cmd_down, cmd_up


class Recorded:
    """A service that only records being started and stopped."""

    def __init__(self, name: str, line: str) -> None:
        self.name, self.line, self.running = name, line, False

    def start(self, timeout: float = 0) -> bool:
        self.running = True
        return True

    def stop(self, timeout: float = 0) -> bool:
        was, self.running = self.running, False
        return was

    def is_running(self) -> bool:
        return self.running

    def env_lines(self) -> list[str]:
        return [self.line]

    def summary(self) -> str:
        return self.name


def test_no_second_services_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESHCTL_SANDBOX_SECOND_BROKER", raising=False)
    args = _parser().parse_args(["up", "--dir", str(tmp_path)])
    assert build_second_services(args) == []


def test_second_broker_and_moto_on_their_own_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHCTL_SANDBOX_KAFKA_B_PORT", "29094")
    args = _parser().parse_args(["up", "--dir", str(tmp_path), "--second-broker", "--moto-b-port", "25001"])
    services = build_second_services(args)
    assert [s.name for s in services] == ["moto-b", "kafka-b"]
    kafka_b = services[1].service  # type: ignore[attr-defined]
    assert (kafka_b.port, kafka_b.workdir) == (29094, tmp_path / "kafka-b")
    assert services[0].service.port == 25001  # type: ignore[attr-defined]
    assert args.kafka_port != 29094  # the first broker keeps its own


def test_the_second_environment_s_settings_go_to_env_b(tmp_path: Path) -> None:
    first, second = Recorded("kafka", "export A=1"), Recorded("kafka-b", "export A=2")
    assert cmd_up([first], tmp_path, 1.0, [second]) == 0
    assert (tmp_path / "env").read_text() == "export A=1\n"
    assert (tmp_path / ENV_FILE_B).read_text() == "export A=2\n"
    assert (tmp_path / ENV_FILE_B).stat().st_mode & 0o777 == 0o600  # it holds the broker's password
    assert cmd_down([first, second], tmp_path) == 0
    assert not second.running and not (tmp_path / ENV_FILE_B).exists()
