"""Named weights: one value per named part of a job's score, with documented defaults.

Every job that scores by a weighted sum of named parts (supplier search's
:class:`~matching.scoring.Weights`, partner recovery's
:class:`~matching.partners.PartnerWeights`) declares its defaults once, in ``DEFAULTS``, and
gets the same behaviour: attribute access, a mapping, a copy with some names changed or kept,
JSON in and out, and a clear error naming an unknown weight.

Examples
--------
>>> class Demo(NamedWeights):
...     DEFAULTS = {"text": 1.0, "field": 0.3}
>>> w = Demo(field=0.5)
>>> w.text, w.field, w.as_dict()
(1.0, 0.5, {'text': 1.0, 'field': 0.5})
>>> w.only(["text"]).as_dict()
{'text': 1.0, 'field': 0.0}
>>> Demo.from_mapping({"colour": 1})
Traceback (most recent call last):
...
graph.errors.InvalidRequest: unknown weight(s): colour
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from graph.errors import InvalidRequest

__all__ = ["NamedWeights"]


class NamedWeights:
    """Immutable weights by name; subclasses set ``DEFAULTS`` (name → default, in order)."""

    DEFAULTS: ClassVar[Mapping[str, float]] = {}
    __slots__ = ("_values",)

    def __init__(self, **values: float) -> None:
        unknown = set(values) - set(self.DEFAULTS)
        if unknown:
            raise InvalidRequest(f"unknown weight(s): {', '.join(sorted(unknown))}",
                                 field="weights")
        merged = {k: float(values.get(k, v)) for k, v in self.DEFAULTS.items()}
        object.__setattr__(self, "_values", merged)

    def __getattr__(self, name: str) -> float:
        values: dict[str, float] = object.__getattribute__(self, "_values")
        try:
            return values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self.as_dict().items())))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"{type(self).__name__}({inner})"

    def as_dict(self) -> dict[str, float]:
        return dict(object.__getattribute__(self, "_values"))

    def replace(self, **values: float) -> Self:
        """A copy with these names changed."""
        return type(self)(**{**self.as_dict(), **values})

    def only(self, names: Iterable[str]) -> Self:
        """These weights with every name outside ``names`` set to zero."""
        keep = set(names)
        return type(self)(**{k: (v if k in keep else 0.0) for k, v in self.as_dict().items()})

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    @classmethod
    def from_mapping(cls, data: Mapping[str, float]) -> Self:
        """The defaults with the names in ``data`` changed (an unknown name is refused)."""
        return cls(**{k: float(v) for k, v in data.items()})

    @classmethod
    def load(cls, path: str | Path) -> Self:
        return cls.from_mapping(json.loads(Path(path).read_text(encoding="utf-8")))
