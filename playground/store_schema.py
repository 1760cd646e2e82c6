"""The store's tables as SQLAlchemy Core objects, for SQLite and PostgreSQL alike.

The tables here are the schema as the latest migration leaves it; statements are built from them, so
one query text serves both databases. Migrations (`playground.migrations`) never use these objects: a migration
creates what existed at its own time, and stays the same when these tables grow.
"""

from __future__ import annotations

from sqlalchemy import Column, Double, Integer, LargeBinary, MetaData, Table, Text

__all__ = ["cells", "image_refs", "images", "library", "metadata", "migrations", "notebooks", "prices", "shares"]

metadata = MetaData()

migrations = Table(
    "migrations",
    metadata,
    Column("name", Text, primary_key=True),
    Column("applied", Double, nullable=False),
)

notebooks = Table(
    "notebooks",
    metadata,
    Column("id", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("search", Text, nullable=False),  # the title and message text, lower-cased (Notebook.search_text)
    Column("data", Text, nullable=False),  # the notebook's JSON without its cells, secrets removed
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    Column("version", Integer, nullable=False),  # counts saves: the optimistic check of every write
)

cells = Table(
    "cells",
    metadata,
    Column("notebook_id", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("position", Integer, nullable=False),  # the cell's place in its notebook, from 0
    Column("digest", Text, nullable=False),  # of `data`: tells a save whether the row still holds what it knows
    Column("data", Text, nullable=False),  # the cell's JSON, secrets removed (last: SQLite reads the others without it)
)

library = Table(
    "library",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)

shares = Table(
    "shares",
    metadata,
    Column("id", Text, primary_key=True),  # secrets.token_urlsafe: the read-only link's `?view=`
    Column("kind", Text, nullable=False),  # "notebook" or "comparison"
    Column("title", Text, nullable=False),
    Column("notebook_id", Text, nullable=False),  # the notebook it was taken from
    Column("data", Text, nullable=False),  # the frozen snapshot (a Notebook's JSON, secrets removed); "" once revoked
    Column("created", Double, nullable=False),
    Column("revoked", Double, nullable=True),  # when the link was revoked; NULL while it works
)

prices = Table(
    "prices",
    metadata,
    Column("backend", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    Column("data", Text, nullable=False),  # a pricing.Price as JSON: dollars per million tokens of each kind
    Column("updated", Double, nullable=False),
)

images = Table(
    "images",
    metadata,
    Column("hash", Text, primary_key=True),  # sha256 of the bytes, hex: notebooks and runs refer to an image by it
    Column("data", LargeBinary, nullable=False),  # the PNG or JPEG file
)

image_refs = Table(
    "image_refs",
    metadata,
    Column("kind", Text, primary_key=True),  # the referring row's table: "notebook", "cell" or "share"
    Column("owner", Text, primary_key=True),  # its notebook's id (a notebook or a cell), or the share's id
    Column("item", Text, primary_key=True),  # a cell's id; "" for a notebook or a share
    Column("hash", Text, primary_key=True),  # the image it refers to (indexed: a sweep keeps the images found here)
)
