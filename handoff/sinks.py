"""Where events go: a folder of JSON files (default) or an HTTP webhook.

A sink's ``send`` either delivers the event or raises ``DeliveryError``; it must be
idempotent (sending the same event twice leaves one copy), because a crash between
sending and recording the delivery makes the next run send it again.
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from core.errors import QuoteReviewError
from handoff.events import Event


class DeliveryError(QuoteReviewError):
    code = "E_DELIVERY"


class Sink(Protocol):
    name: str

    def send(self, event: Event) -> None: ...


@dataclass
class FolderSink:
    """``<root>/<type>/<id>.json``, written to a temporary name then renamed (never half a file)."""

    root: Path
    name: str = "folder"

    def send(self, event: Event) -> None:
        folder = Path(self.root) / event.type
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{event.id}.json"
        data = json.dumps(event.payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        if target.exists() and target.read_text(encoding="utf-8") == data:
            return
        temporary = folder / f".{event.id}.{os.getpid()}.tmp"
        try:
            temporary.write_text(data, encoding="utf-8")
            os.replace(temporary, target)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise DeliveryError(f"cannot write {target}: {exc}") from exc


@dataclass
class WebhookSink:
    """POSTs the payload as JSON with an ``Idempotency-Key`` header (the event id).

    Retries on network errors, 5xx and 429 with exponential backoff; a 4xx other than
    408/429 is the receiver refusing the event and is not retried.
    """

    url: str
    name: str = "webhook"
    attempts: int = 4
    backoff_seconds: float = 0.5
    timeout_seconds: float = 10.0
    headers: dict | None = None
    sleep: Callable[[float], None] = time.sleep

    def send(self, event: Event) -> None:
        body = json.dumps(event.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {"Content-Type": "application/json", "Idempotency-Key": event.id, "X-Event-Type": event.type,
                   **(self.headers or {})}
        last_error = ""
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                    response.read()
                return
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code} from {self.url}"
                if 400 <= exc.code < 500 and exc.code not in (408, 429):
                    raise DeliveryError(f"{last_error}: event {event.id} refused") from exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last_error = f"{self.url} unreachable: {getattr(exc, 'reason', exc)}"
            if attempt < self.attempts:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise DeliveryError(f"{last_error} after {self.attempts} attempts")
