"""Secrets registered through settings never reach logs, redact() output or the
activation log file."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import AuthenticationError
from marketing_platform.log import ActivationLog
from marketing_platform.redaction import MASK, install_log_redaction, redact, redact_obj
from marketing_platform.settings import PlatformSettings


class VaultSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="VAULT_", extra="ignore", validate_default=True)

    token: SecretStr


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh secret, registered the way adapters do: by creating their settings."""
    value = f"vault-{uuid.uuid4().hex}"
    monkeypatch.setenv("VAULT_TOKEN", value)
    settings = VaultSettings()  # type: ignore[call-arg]
    assert settings.token.get_secret_value() == value
    return value


def test_redact_masks_a_secret_registered_by_settings(secret: str) -> None:
    assert (
        redact(f"Authorization: Bearer {secret}; again {secret}")
        == f"Authorization: Bearer {MASK}; again {MASK}"
    )
    assert redact_obj({"a": [f"x{secret}x", 3], "b": None}) == {"a": [f"x{MASK}x", 3], "b": None}


def test_unregistered_text_is_left_alone() -> None:
    text = f"nothing secret here {uuid.uuid4().hex}"

    assert redact(text) == text


def test_secret_is_masked_in_log_output(secret: str, caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()

    with caplog.at_level(logging.INFO, logger="marketing_platform"):
        logging.getLogger("marketing_platform").warning("vendor said: invalid token %s", secret)
        logging.getLogger("marketing_platform").error(f"formatted eagerly: {secret}")

    assert secret not in caplog.text
    assert caplog.text.count(MASK) == 2


def test_secret_is_masked_in_log_output_of_child_loggers(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_redaction()

    with caplog.at_level(logging.INFO, logger="marketing_platform"):
        logging.getLogger("marketing_platform.activation").warning("fallback failed: %s", secret)

    assert secret not in caplog.text


def _file_bytes(path: Path) -> bytes:
    """The database and its WAL/SHM side files: wherever SQLite may have put the text."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_secret_never_reaches_the_activation_log_file(secret: str, tmp_path: Path) -> None:
    log = ActivationLog(tmp_path / "log.sqlite3")
    record = log.start(
        content_id="post", platform="vault", content={"title": "T", "note": f"pasted {secret} by mistake"}
    )
    log.record_step(record.id, "campaign", {"external_id": "c-1", "echo": f"token={secret}"})
    error = AuthenticationError(f"token {secret} was refused", platform="vault", hint=f"rotate {secret}")
    finished = log.finish(record.id, "failed", error=error.to_dict())

    assert finished.error is not None
    assert secret not in finished.error["message"]
    assert MASK in finished.error["message"]
    assert secret not in str(log.get(record.id).model_dump())
    assert secret.encode() not in _file_bytes(tmp_path / "log.sqlite3")


def test_secret_is_not_in_settings_repr_or_redacted_dump(secret: str) -> None:
    settings = VaultSettings()  # type: ignore[call-arg]

    assert secret not in repr(settings)
    assert secret not in str(settings.model_dump())
    assert settings.redacted()["token"] == MASK


def test_short_values_are_not_registered_as_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", "abc")
    VaultSettings()  # type: ignore[call-arg]

    assert redact("abc is a common word") == "abc is a common word"
