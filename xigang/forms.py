"""Form helpers every app's views share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form


def add_errors(form: Form, exc: ValidationError) -> None:
    """A service's refusal shown on the form: each field's messages beside it, the rest (and
    fields the form does not have) at the top. Nothing was saved."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
