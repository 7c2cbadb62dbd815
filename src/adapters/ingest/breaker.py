"""A circuit breaker: stop calling a service that keeps failing, and try it again later."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """Closed while calls succeed; open (refusing calls) for ``open_for`` seconds after
    ``threshold`` failures in a row; then half-open: one trial call decides."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        open_for: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = threshold
        self._open_for = open_for
        self._clock = clock
        self._failures = 0
        self._open_until: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        return self._open_until is not None and self._clock() < self._open_until

    @property
    def trying(self) -> bool:
        """Whether the single trial call of the half-open state is out."""
        return self._trial_running

    def allow(self) -> bool:
        """Whether a call may go out now; in the half-open state, only one at a time."""
        if self._open_until is None:
            return True
        if self._clock() < self._open_until or self._trial_running:
            return False
        self._trial_running = True
        return True

    def succeeded(self) -> None:
        self._failures = 0
        self._open_until = None
        self._trial_running = False

    def failed(self) -> None:
        self._failures += 1
        self._trial_running = False
        if self._open_until is not None or self._failures >= self._threshold:
            self._open_until = self._clock() + self._open_for

    def seconds_until_trial(self) -> float:
        if self._open_until is None:
            return 0.0
        return max(0.0, self._open_until - self._clock())
