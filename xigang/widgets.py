"""Form widgets shared by the apps' forms."""

from django import forms


class IsoDateInput(forms.DateInput):
    """<input type=date> accepts only YYYY-MM-DD: the locale's format (2026/11/30 in zh-hans)
    would be rejected by the browser and the field shown blank."""

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
