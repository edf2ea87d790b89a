"""A member's GDPR export and erasure, in parts: each domain registers its part at
application setup (its ``init_app``): what it exports, how it erases, and which
columns holding personal data its eraser covers.

A column holding a member's personal data (a name, an e-mail address, a phone number,
an address, free text by or about the member) is marked ``info={"personal": True}``;
``tests/accounts/test_gdpr.py`` fails when such a column is covered by no eraser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Column, MetaData
from sqlalchemy.orm import InstrumentedAttribute

EXTENSION = "fablab.gdpr"


@dataclass(frozen=True)
class Part:
    name: str  # its key in the export
    export: Callable[[Any], Any] | None
    erase: Callable[[Any], None] | None
    erases: frozenset[str]  # "table.column" of the personal columns the eraser clears


def register(app: Flask, name: str, *, export: Callable[[Any], Any] | None = None,
             erase: Callable[[Any], None] | None = None,
             erases: Iterable[InstrumentedAttribute] = ()) -> None:
    """Add a domain's part; ``erases`` lists the model attributes its eraser clears."""
    parts: dict[str, Part] = app.extensions.setdefault(EXTENSION, {})
    if name in parts:
        raise ValueError(f"GDPR part {name!r} is already registered")
    parts[name] = Part(name, export, erase, frozenset(_key(a.property.columns[0]) for a in erases))


def parts(app: Flask | None = None) -> list[Part]:
    """The parts in the order the domains were set up (the bottom layer first)."""
    return list((app or current_app).extensions.get(EXTENSION, {}).values())


def personal_columns(metadata: MetaData) -> set[str]:
    return {_key(column) for table in metadata.tables.values() for column in table.columns
            if column.info.get("personal")}


def erased_columns(app: Flask | None = None) -> set[str]:
    return {key for part in parts(app) for key in part.erases}


def _key(column: Column) -> str:
    return f"{column.table.name}.{column.name}"
