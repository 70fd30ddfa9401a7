"""The demo's initiatives, residents and places, read from ``catalogue.toml`` (data,
written for people to read and amend; its header says what each field means)."""

import tomllib
from pathlib import Path
from typing import NamedTuple

SOURCE = Path(__file__).with_name("catalogue.toml")


class Dossier(NamedTuple):
    key: str
    quartier: str
    author: int  # 0: the demo resident (first quartier); 1–4: the quartier's residents
    day: int  # submitted that day of the year (a draft: started)
    fate: str
    title: str
    summary: str
    theme: str
    carrier: str
    association: bool
    expenses: tuple  # (label, euros) lines
    cofunding: tuple
    lasts: int = 1  # days the action lasts
    reason: str = ""


def _dossier(entry):
    lines = {
        field: tuple((label, amount) for label, amount in entry.pop(field))
        for field in ("expenses", "cofunding")
    }
    return Dossier(**entry, **lines)


def _load():
    with SOURCE.open("rb") as source:
        data = tomllib.load(source)
    dossiers = [_dossier(entry) for entry in data["dossiers"]]
    residents = {name: q["residents"] for name, q in data["quartiers"].items()}
    places = {name: q["places"] for name, q in data["quartiers"].items()}
    return dossiers, residents, places


DOSSIERS, RESIDENTS, PLACES = _load()
