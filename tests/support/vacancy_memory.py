"""An in-memory VacancyStore for the reschedule tests: openings (shared with MemoryStore,
where a cancel's or a move's save writes them) and their offers; the waitlist as a dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.ports import OpeningDetail
from rendezvous.domain.vacancy import (
    Offer,
    Opening,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from tests.support.memory import MemoryStore


@dataclass
class MemoryOpenings:
    store: MemoryStore
    entries_by_id: dict[tuple[str, str], WaitlistEntry] = field(default_factory=dict)
    offers: dict[tuple[str, str, str], Offer] = field(default_factory=dict)
    writes: int = 0  # conditional writes on openings, won or lost

    def get_entry(self, tenant_id: str, entry_id: str) -> WaitlistEntry | None:
        return self.entries_by_id.get((tenant_id, entry_id))

    def put_entry(self, entry: WaitlistEntry, *, expected_version: int | None) -> None:
        stored = self.entries_by_id.get((entry.tenant_id, entry.entry_id))
        if (stored.version if stored else None) != expected_version:
            raise ConcurrentModification("entry changed")
        self.entries_by_id[(entry.tenant_id, entry.entry_id)] = entry

    def entries(
        self, tenant_id: str, status: WaitlistStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        found = [
            e
            for (t, _), e in sorted(self.entries_by_id.items(), key=lambda kv: kv[1].listed_at)
            if t == tenant_id and (status is None or e.status is status)
        ]
        return found[:limit], None

    def waiting_for(
        self, tenant_id: str, service: str | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        return self.entries(tenant_id, WaitlistStatus.WAITING, limit, cursor)

    def get_opening(self, tenant_id: str, opening_id: str) -> OpeningDetail | None:
        opening = self.store.openings.get((tenant_id, opening_id))
        if opening is None:
            return None
        offers = [o for (t, op, _), o in self.offers.items() if (t, op) == (tenant_id, opening_id)]
        return OpeningDetail(opening, offers)

    def create_opening(self, opening: Opening) -> bool:
        key = (opening.tenant_id, opening.opening_id)
        if key in self.store.openings:
            return False
        self.store.openings[key] = opening
        return True

    def save_opening(self, opening: Opening, *, expected_version: int) -> None:
        self.writes += 1
        key = (opening.tenant_id, opening.opening_id)
        stored = self.store.openings.get(key)
        if stored is None or stored.version != expected_version:
            raise ConcurrentModification("opening changed")
        self.store.openings[key] = opening

    def openings(
        self,
        tenant_id: str,
        *,
        status: OpeningStatus | None,
        start: datetime,
        end: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Opening], str | None]:
        found = sorted(
            (
                o
                for (t, _), o in self.store.openings.items()
                if t == tenant_id
                and (status is None or o.status is status)
                and start <= o.starts_at < end
            ),
            key=lambda o: (o.starts_at, o.opening_id),
        )
        return found[:limit], None

    def put_offer(self, offer: Offer) -> bool:
        key = (offer.tenant_id, offer.opening_id, offer.entry_id)
        if key in self.offers:
            return False
        self.offers[key] = offer
        return True

    def save_offer(self, offer: Offer) -> None:
        self.offers[(offer.tenant_id, offer.opening_id, offer.entry_id)] = offer
