"""The registry's ledgers: `households`, `members`, `member_changes`, `pairings`, exactly as
docs/ledger-formats.md says, on the `xigang.ledgers` engine.

Fast by construction: `plan` reads each table it needs once (one query per table, whatever the
file size), checks every row with the rules of `households.checks` (the services' own) and
decides its action; `apply` writes with `bulk_create` / `bulk_update`. Member changes are the
exception on the write side: each new change goes through `member_change_record`, so the
household is updated exactly as when a change is entered by hand.

Scope: a row may only touch households the importing user keeps (`xigang.scope.visible`);
exports list only the user's rows, with ID numbers masked for roles that do not keep the
registry.
"""

from households.assessments.ledger import AssessmentLedger
from households.ledgers.member_changes import MemberChangeLedger
from households.ledgers.national import NationalPersonLedger
from households.ledgers.pairings import PairingLedger
from households.ledgers.plans import MeasureLedger, PlanLedger
from households.ledgers.registry import HouseholdLedger, MemberLedger
from households.ledgers.roster import PairingRosterLedger

__all__ = [
    "AssessmentLedger",
    "HouseholdLedger",
    "MeasureLedger",
    "MemberChangeLedger",
    "MemberLedger",
    "NationalPersonLedger",
    "PairingLedger",
    "PairingRosterLedger",
    "PlanLedger",
]
