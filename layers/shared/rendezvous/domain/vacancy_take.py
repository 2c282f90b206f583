"""Taking an opening: the first taker wins through one conditional write on the opening.

Used by a reschedule's digit (the customer's own appointment moves into the slot). The
write is conditional on the opening's version, and made only while the opening is open
(or offered) and far enough ahead: every change to an opening bumps its version, so a
fill, an expiry or another taker in between makes this write fail, and the caller is told
the slot is gone.
"""

from __future__ import annotations

from datetime import datetime

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.ports import VacancyStore
from rendezvous.domain.vacancy import Opening, OpeningStatus


def take_opening(
    vacancies: VacancyStore,
    tenant_id: str,
    opening_id: str,
    *,
    now: datetime,
    min_notice_minutes: int,
    appointment_id: str,
    entry_id: str | None = None,
) -> Opening | None:
    """The opening, filled by `appointment_id` (and `entry_id` for a waitlist taker); None
    when it is gone: filled, expired, too close. A change that leaves it open (a wave went
    out in between) is read again and tried again."""
    for _ in range(3):
        detail = vacancies.get_opening(tenant_id, opening_id)
        if detail is None or not detail.opening.worth_offering(now, min_notice_minutes):
            return None
        opening = detail.opening
        filled = opening.model_copy(
            update={
                "status": OpeningStatus.FILLED,
                "filled_at": now,
                "filled_by_entry": entry_id,
                "filled_appointment_id": appointment_id,
                "version": opening.version + 1,
            }
        )
        try:
            vacancies.save_opening(filled, expected_version=opening.version)
        except ConcurrentModification:
            continue
        return filled
    return None


def give_back(vacancies: VacancyStore, taken: Opening) -> None:
    """Reopen an opening whose taker could not be moved into it after all (their
    appointment changed meanwhile), as it was before: offered if a wave went out."""
    status = OpeningStatus.OFFERED if taken.waves_sent else OpeningStatus.OPEN
    reopened = taken.model_copy(
        update={
            "status": status,
            "filled_at": None,
            "filled_by_entry": None,
            "filled_appointment_id": None,
            "version": taken.version + 1,
        }
    )
    vacancies.save_opening(reopened, expected_version=taken.version)
