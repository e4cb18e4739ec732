"""Mail transports chosen by CRM_MAIL_URL: smtp:// and smtps:// (SMTP), file:// (one .eml per
message in a folder) and console: (print to standard output).

Every transport has one method, `send(message)`, and reports failures as one of three errors so that
the caller can decide between retrying, bouncing and flagging for review (see errors.py).
"""

from __future__ import annotations

from crm.mail.base import Transport, transport_from_url
from crm.mail.errors import MailError, PermanentMailError, TemporaryMailError, UncertainDeliveryError
from crm.mail.message import MailMessage

__all__ = [
    "MailError",
    "MailMessage",
    "PermanentMailError",
    "TemporaryMailError",
    "Transport",
    "UncertainDeliveryError",
    "transport_from_url",
]
