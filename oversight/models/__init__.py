"""Oversight records (arts. 5, 41-43): inspections and what follows them, the 疑点 signals,
spot checks and the 第一书记 register."""

from oversight.models.first_secretaries import FirstSecretary, FirstSecretaryCheck
from oversight.models.inspections import (
    Accountability,
    Commendation,
    Finding,
    FindingExtension,
    Inspection,
)
from oversight.models.signals import ContentPrint, Signal, SignalRun, SpotCheck, SpotCheckAnswer

__all__ = [
    "Accountability",
    "Commendation",
    "ContentPrint",
    "Finding",
    "FindingExtension",
    "FirstSecretary",
    "FirstSecretaryCheck",
    "Inspection",
    "Signal",
    "SignalRun",
    "SpotCheck",
    "SpotCheckAnswer",
]
