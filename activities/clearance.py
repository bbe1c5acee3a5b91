"""The clearance's activities, as methods of one class whose adapters are injected (embedded or HTTP); each
stage's activities live in their own module:

| stage | activities | adapter |
|---|---|---|
| screening | `activities/screening.py` (`screen_parties`) | `adapters/screening.py` |
| licence check | `activities/licences.py` (`check_licences`, `restore_licences`) | `adapters/licences.py` |
| records: read model, audit, notices | `activities/records.py` (`project_*`, `record_outcome`) | `store/` |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.exchange import ExchangeActivities
from activities.licences import LicenceActivities
from activities.records import RecordActivities
from activities.screening import ScreeningActivities
from adapters.licences import LicenceRegistry
from adapters.screening import ScreeningService
from store import reference
from store.db import Database


class ClearanceActivities(ScreeningActivities, LicenceActivities, RecordActivities):
    def __init__(
        self,
        *,
        db: Database,
        licences: LicenceRegistry,
        screening: ScreeningService,
        exchange: ExchangeActivities | None = None,
    ) -> None:
        self._db = db
        self._exchange = exchange  # a release's exit and partner notification, with its outcome
        self._licences = licences
        self._screening = screening
        self._reference = reference.ReferenceCache(db)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.screen_parties,
            self.check_licences,
            self.restore_licences,
            self.project_clearance,
            self.project_tasks,
            self.record_outcome,
        ]
