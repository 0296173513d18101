"""Text messages through a backend named by settings.SMS_BACKEND (no vendor's code here): a
class with `send(mobile, text)`. The console backend prints; production names its own."""

from __future__ import annotations

import sys

from django.conf import settings
from django.utils.module_loading import import_string


class ConsoleBackend:
    def send(self, mobile: str, text: str) -> None:
        sys.stdout.write(f"SMS to {mobile}: {text}\n")


# Tests read what was "sent" here, as Django's locmem e-mail backend keeps mail.outbox.
outbox: list[tuple[str, str]] = []


class MemoryBackend:
    def send(self, mobile: str, text: str) -> None:
        outbox.append((mobile, text))


def send_sms(mobile: str, text: str) -> None:
    import_string(settings.SMS_BACKEND)().send(mobile, text)
