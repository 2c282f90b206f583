"""SMS text: GSM 03.38 encoding, default and tenant templates, and rendering."""

from rendezvous.domain.ports import RenderedSms
from rendezvous.messages.gsm import is_gsm7, segment_count, septet_length, to_gsm_compatible
from rendezvous.messages.render import render_message
from rendezvous.messages.templates import validate_template

__all__ = [
    "RenderedSms",
    "is_gsm7",
    "render_message",
    "segment_count",
    "septet_length",
    "to_gsm_compatible",
    "validate_template",
]
