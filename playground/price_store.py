"""The prices a person set per model, in the store's database (same migrations, same rules as notebooks).

Only what the person changed is kept; `pricing.default_price` gives the rest. Resetting a model deletes its row.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import delete, select

from playground import store_schema as schema
from playground.database import Database, upsert
from playground.pricing import Price, PriceKey

__all__ = ["PriceStore"]


class PriceStore:
    """`PriceStore()` opens `PLAYGROUND_DATABASE_URL` when set, else the SQLite file of `default_path()`."""

    def __init__(self, path: Path | str | None = None, *, url: str | None = None) -> None:
        self.database = Database(path, url=url)

    def saved(self) -> dict[PriceKey, Price]:
        """Every price the person set, by (backend, model); an unreadable row is left out (its default applies)."""
        t = schema.prices
        with self.database.connect() as conn:
            rows = conn.execute(select(t.c.backend, t.c.model, t.c.data)).all()
        out: dict[PriceKey, Price] = {}
        for backend, model, data in rows:
            try:
                out[(backend, model)] = Price.model_validate_json(data)
            except ValidationError:
                continue
        return out

    def set(self, backend: str, model: str, price: Price) -> None:
        """Keep `price` for `model` on `backend` (replacing any before)."""
        t = schema.prices
        values = {"backend": backend, "model": model.strip(), "data": json.dumps(price.model_dump()), "updated": time.time()}
        with self.database.connect() as conn:
            stmt = upsert(conn, t).values(**values)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["backend", "model"], set_={"data": stmt.excluded.data, "updated": stmt.excluded.updated}
                )
            )

    def reset(self, backend: str, model: str) -> None:
        """Forget the person's price for `model` on `backend`: its default applies again."""
        t = schema.prices
        with self.database.connect() as conn:
            conn.execute(delete(t).where(t.c.backend == backend, t.c.model == model.strip()))
