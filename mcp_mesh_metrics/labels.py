"""Bounded label values: the cardinality guard.

Every distinct label value creates a new time series in Prometheus, so a label
fed from request data (a user id, a product name, a free-text endpoint) can
grow memory on the agent and on every Prometheus that scrapes it without
limit. A :class:`LabelGuard` keeps each label to an allowed set or to a
maximum number of distinct values; anything beyond is recorded as
``names.OTHER_LABEL_VALUE`` and reported once per label in the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping

from . import names

logger = logging.getLogger(__name__)

# Distinct values a label may take (besides "other") when no allowed set is
# given for it.
DEFAULT_LABEL_LIMIT = 100


class LabelGuard:
    """Folds label values outside their bounds into ``other``.

    ``allowed`` maps a label key to the closed set of values it may take; a
    label without an allowed set accepts the first ``limit`` distinct values
    it sees. The guard is shared by all metric families of one metric set,
    so a label key has one budget however many families carry it.
    """

    def __init__(
        self,
        limit: int = DEFAULT_LABEL_LIMIT,
        allowed: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit: expected a positive number of label values, got {limit!r}")
        self.limit = limit
        self._allowed = {label: frozenset(values) for label, values in (allowed or {}).items()}
        self._seen: dict[str, set[str]] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def fold(self, label: str, value: object) -> str:
        """Return ``value`` as the label value to record, or ``other``."""
        text = str(value)
        if text == names.OTHER_LABEL_VALUE:
            return text
        allowed = self._allowed.get(label)
        if allowed is not None:
            if text in allowed:
                return text
            reason = "is not one of its allowed values"
        else:
            seen = self._seen.get(label)
            if seen is not None and text in seen:
                return text
            with self._lock:
                seen = self._seen.setdefault(label, set())
                if text in seen or len(seen) < self.limit:
                    seen.add(text)
                    return text
            reason = f"would exceed its limit of {self.limit} distinct values"
        self._warn_once(label, text, reason)
        return names.OTHER_LABEL_VALUE

    def _warn_once(self, label: str, value: str, reason: str) -> None:
        with self._lock:
            if label in self._warned:
                return
            self._warned.add(label)
        logger.warning(
            "label %r: value %r %s; recording it and any further such value as %r",
            label,
            value,
            reason,
            names.OTHER_LABEL_VALUE,
        )
