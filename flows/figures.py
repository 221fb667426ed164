"""The figures the nightly run writes: every dossier's current status, and the day's decisions."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from core.models import money_json
from core.settings import Settings
from store.models import ReviewRow
from store.repository import open_store


def figures_of_day(db_url: str | None, home: str | Path, day: dt.date) -> dict:
    settings = Settings.load().updated({"home": Path(home)}, origin="home")
    store = open_store(db_url or settings.db_url, settings)
    try:
        dossiers = store.list_dossiers()
        by_status = Counter(d.status or "no_review" for d in dossiers)
        quoted = sum((d.quoted_ttc or Decimal(0) for d in dossiers), Decimal(0))
        revised = sum((d.revised_ttc or Decimal(0) for d in dossiers if d.revised_ttc is not None), Decimal(0))
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
        with store.transaction() as session:
            rows = session.execute(select(ReviewRow.status, ReviewRow.decided_by).where(
                ReviewRow.created_at >= start, ReviewRow.created_at < start + dt.timedelta(days=1))).all()
        return {
            "day": day.isoformat(),
            "dossiers": len(dossiers),
            "by_status": dict(sorted(by_status.items())),
            "quoted_ttc": money_json(quoted),
            "revised_ttc": money_json(revised),
            "decisions_of_the_day": len(rows),
            "decisions_of_the_day_by_status": dict(sorted(Counter(status for status, _ in rows).items())),
            "decisions_of_the_day_by": dict(sorted(Counter(by for _, by in rows).items())),
        }
    finally:
        store.close()
