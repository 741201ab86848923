"""Anomaly detection: backward stops at the first op whose gradient holds nan or inf and names
the line of the user's code that created that op in the forward pass."""

from __future__ import annotations

import warnings

from .function import anomaly
from .grad_mode import _Mode


class detect_anomaly(_Mode):
    """Context manager and decorator. Inside, every op records where it was created, and
    backward raises RuntimeError at the first gradient with nan (or inf) values, naming the op
    and that file:line. It slows everything down: use it to debug."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = (anomaly.enabled, anomaly.check_nan)
        anomaly.enabled = True
        anomaly.check_nan = self.check_nan

    def __exit__(self, *exc):
        anomaly.enabled, anomaly.check_nan = self._prev
        return False

    def clone(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return detect_anomaly(self.check_nan)


class set_detect_anomaly(_Mode):
    """Turn anomaly detection on or off, now or for a `with` block."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (anomaly.enabled, anomaly.check_nan)
        self.mode = bool(mode)
        self.check_nan = check_nan
        anomaly.enabled = self.mode
        anomaly.check_nan = check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        anomaly.enabled, anomaly.check_nan = self._prev
        return False

    def clone(self):
        return set_detect_anomaly(self.mode, self.check_nan)


def is_anomaly_enabled() -> bool:
    return anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return anomaly.check_nan
