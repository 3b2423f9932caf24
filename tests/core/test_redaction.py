"""Secrets registered through settings never reach logs, redact() output or the
activation log file."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import AuthenticationError
from marketing_platform.log import ActivationLog
from marketing_platform.redaction import (
    MASK,
    RedactingFilter,
    install_log_redaction,
    redact,
    redact_obj,
    register_secret,
)
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


def _fresh(prefix: str = "s") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


# ----------------------------------------------------------- secrets inside secrets
@pytest.mark.parametrize("order", ["short-first", "long-first"])
def test_a_secret_containing_another_is_masked_whole_whichever_was_registered_first(order: str) -> None:
    short = _fresh("pw")
    long = f"{short}{_fresh('-suffix-')}"  # the longer secret contains the shorter one
    for secret in (short, long) if order == "short-first" else (long, short):
        register_secret(secret)

    masked = redact(f"a={long} b={short} c={long}")

    assert masked == f"a={MASK} b={MASK} c={MASK}"
    assert long[len(short) :] not in masked, "the tail of the longer secret was left in clear"


def test_overlapping_secrets_are_masked_as_one_without_leaving_a_piece_of_either() -> None:
    head, middle, tail = _fresh("h"), _fresh("m"), _fresh("t")
    first, second = head + middle, middle + tail  # "...head|middle" and "middle|tail..."
    register_secret(first)
    register_secret(second)

    masked = redact(f"token: {head}{middle}{tail}.")

    assert masked == f"token: {MASK}."
    for piece in (head, middle, tail):
        assert piece not in masked


# ------------------------------------------------------------------ RedactingFilter
@pytest.fixture
def third_party_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger outside ``marketing_platform`` (so the record factory does not clean its
    records) whose only handler writes to a buffer through a RedactingFilter."""
    logger = logging.getLogger(f"thirdparty.{uuid.uuid4().hex}")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, buffer
    logger.removeHandler(handler)


def test_redacting_filter_masks_secrets_in_messages_and_their_arguments(
    secret: str, third_party_logger: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, buffer = third_party_logger

    logger.warning("vendor said: bad token %s (%d tries)", secret, 3)
    logger.error(f"eagerly formatted {secret}")

    out = buffer.getvalue()
    assert secret not in out
    assert f"vendor said: bad token {MASK} (3 tries)" in out
    assert f"eagerly formatted {MASK}" in out


def test_redacting_filter_masks_a_secret_in_the_exception_traceback(
    secret: str, third_party_logger: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, buffer = third_party_logger

    try:
        raise RuntimeError(f"the vendor echoed {secret}")
    except RuntimeError:
        logger.exception("request failed")

    out = buffer.getvalue()
    assert "Traceback" in out
    assert "RuntimeError: the vendor echoed" in out
    assert secret not in out, "the secret leaked through the logged traceback"


def test_redacting_filter_masks_a_secret_in_stack_information(secret: str) -> None:
    record = logging.LogRecord("thirdparty", logging.INFO, __file__, 1, "message", None, None)
    record.stack_info = f"Stack (most recent call last):\n  frame with {secret}"

    assert RedactingFilter().filter(record) is True
    assert secret not in record.stack_info
    assert MASK in record.stack_info


def test_redacting_filter_passes_every_record_and_leaves_clean_ones_untouched(
    secret: str, third_party_logger: tuple[logging.Logger, io.StringIO]
) -> None:
    record = logging.LogRecord(
        "thirdparty", logging.INFO, __file__, 1, "sent %s in %d ms", ("GET /x", 12), None
    )

    assert RedactingFilter().filter(record) is True
    assert (record.msg, record.args) == ("sent %s in %d ms", ("GET /x", 12))  # still lazily formatted

    logger, buffer = third_party_logger
    logger.info("nothing secret: %s", "hello")
    assert buffer.getvalue() == "INFO nothing secret: hello\n"


def test_exception_logged_by_the_package_loggers_is_masked_without_a_filter(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_redaction()

    with caplog.at_level(logging.INFO, logger="marketing_platform"):
        try:
            raise ValueError(f"token {secret} refused")
        except ValueError:
            logging.getLogger("marketing_platform.activation").exception("activation failed")

    assert "ValueError: token" in caplog.text
    assert secret not in caplog.text
