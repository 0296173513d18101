"""What the portal's forms share: a service's refusal shown on the form that asked for it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on `form`: each field's messages by that field when the
    form has it, the rest (and a message with no field) above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
