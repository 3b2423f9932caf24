"""Shared test doubles for the core suite: a fake clock, a tiny real PNG, and an
in-process adapter whose every operation is recorded and can be told to fail."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from marketing_platform.hookspecs import hookimpl
from marketing_platform.models import (
    Asset,
    AssetResult,
    AssetsResponse,
    CampaignResponse,
    CampaignSpec,
    Capability,
    CheckResponse,
    Content,
    PublishResponse,
    StatusResponse,
)
from marketing_platform.platform import MarketingPlatform
from marketing_platform.testing import png_bytes  # noqa: F401 (re-exported for the tests)


class FakeClock:
    """A clock that only moves when something sleeps (or the test advances it)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
ZIP_BYTES = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"\x00" * 16


class AdapterPlugin:
    """Registers adapter classes in-process through ``mplat_register_adapters``."""

    def __init__(self, *classes: type[MarketingPlatform]) -> None:
        self.classes = list(classes)

    @hookimpl
    def mplat_register_adapters(self) -> list[type[MarketingPlatform]]:
        return self.classes


class RecordingPlatform(MarketingPlatform):
    """An in-process adapter that records calls. Configure a subclass per test with
    :func:`make_recorder`; never share one between tests."""

    name: ClassVar[str] = "recorder"
    capabilities = frozenset(Capability)
    #: The writes (upload_assets, create_campaign, publish_content), in order.
    calls: ClassVar[list[str]]
    #: Every operation, look-ups (find_content) included, in order.
    events: ClassVar[list[str]]
    #: The content ids find_content was asked for, in order.
    lookups: ClassVar[list[str]]
    #: What find_content answers, by content id (nothing found when absent).
    found: ClassVar[dict[str, PublishResponse]]
    fail: ClassVar[dict[str, BaseException]]
    before: ClassVar[dict[str, Callable[[], None]]]

    def _enter(self, operation: str, *, write: bool = True) -> None:
        hook = self.before.get(operation)
        if hook is not None:
            hook()
        self.events.append(operation)
        if write:
            self.calls.append(operation)
        error = self.fail.get(operation)
        if error is not None:
            raise error

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        self._enter("find_content", write=False)
        self.lookups.append(content.id)
        return self.found.get(content.id)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        self._enter("create_campaign")
        payload = self.transform("create_campaign", campaign.model_dump(mode="json", exclude_none=True))
        return CampaignResponse(
            platform=self.name,
            external_id=f"{self.name}-campaign-1",
            name=campaign.name,
            metadata={"payload": payload},
        )

    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        self._enter("publish_content")
        return PublishResponse(
            platform=self.name,
            external_id=f"{self.name}-content-1",
            content_id=content.id,
            status="published",
            metadata={"campaign": campaign.external_id if campaign else None},
        )

    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        self._enter("upload_assets")
        return AssetsResponse(
            platform=self.name,
            results=[
                AssetResult(
                    name=a.filename,
                    external_id=f"{self.name}-asset-{i}",
                    mime_type=a.mime_type,
                    size=a.size,
                    alt_text=a.alt_text,
                )
                for i, a in enumerate(assets)
            ],
        )

    def get_status(self, ref: str) -> StatusResponse:
        return StatusResponse(platform=self.name, external_id=ref, status="published")

    def check(self) -> CheckResponse:
        return CheckResponse(platform=self.name)


def make_recorder(name: str = "recorder", **attributes: Any) -> type[RecordingPlatform]:
    """A fresh RecordingPlatform subclass with its own call list and failure table."""
    namespace: dict[str, Any] = {
        "name": name,
        "calls": [],
        "events": [],
        "lookups": [],
        "found": {},
        "fail": {},
        "before": {},
        "__module__": __name__,
    }
    namespace.update(attributes)
    return type(f"Recorder_{name}", (RecordingPlatform,), namespace)


def blog_post(**fields: Any) -> Content:
    data: dict[str, Any] = {
        "id": "hello-world",
        "kind": "blog_post",
        "title": "Hello world",
        "body": "<p>Hello</p>",
        "campaign": {"name": "Launch"},
    }
    data.update(fields)
    return Content.model_validate(data)
