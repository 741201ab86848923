"""Grad modes: whether ops record the graph. Thread-local, as in PyTorch (new threads record)."""

from __future__ import annotations

import functools
import inspect
import threading


class _State(threading.local):
    enabled = True
    inference = False
    off = None  # an _Off while grad mode is off (see set_enabled)


state = _State()

# How many threads have grad mode off right now. Reading a thread-local is slow for the ops' hot
# paths, so they read `not disabled[0] or state.enabled`: while no thread has it off (the common
# case), the count alone says "on". Every change of state.enabled goes through set_enabled.
disabled = [0]
_lock = threading.RLock()


class _Off:
    """Kept in a thread's state while its grad mode is off; the count goes down when it is
    dropped: when the thread turns the mode back on, or when a thread that ended with the mode
    off is freed."""

    def __init__(self):
        with _lock:
            disabled[0] += 1

    def __del__(self):
        with _lock:
            disabled[0] -= 1


def set_enabled(mode: bool) -> None:
    """Set this thread's grad mode, keeping `disabled` counting the threads that have it off (it
    counts up before a thread turns it off and down after it turns it back on, so a count of
    zero always means every thread has it on)."""
    if mode:
        if state.enabled is not True:
            state.enabled = True
            state.off = None
    elif state.enabled is not False:
        state.off = _Off()
        state.enabled = False


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            raise TypeError(f"{type(self).__name__} decorates functions, not classes")
        mode = self

        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                value = None
                while True:
                    with mode.clone():
                        try:
                            value = gen.send(value)
                        except StopIteration as stop:
                            return stop.value
                    value = yield value
            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self) -> _Mode:
        return type(self)()


class _BareMode(_Mode):
    """A mode that also decorates without parentheses: `@no_grad` as well as `@no_grad()`."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {orig_func!r})")
        return cls()(orig_func)


class no_grad(_BareMode):
    """Context manager and decorator: ops inside record no graph (results do not require grad)."""

    def __enter__(self):
        self._prev = state.enabled
        set_enabled(False)

    def __exit__(self, *exc):
        set_enabled(self._prev)
        return False


class enable_grad(_BareMode):
    """Context manager and decorator: turn recording back on inside no_grad."""

    def __enter__(self):
        self._prev = state.enabled
        set_enabled(True)

    def __exit__(self, *exc):
        set_enabled(self._prev)
        return False


class set_grad_enabled(_Mode):
    """`set_grad_enabled(mode)`: sets grad mode at once, or for a `with` block, or as decorator."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = state.enabled
        set_enabled(self.mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_enabled(self._prev)
        return False

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)

    def __call__(self, fn):
        set_enabled(self._prev)  # used as a decorator: no effect until the function runs
        return super().__call__(fn)


class inference_mode(_Mode):
    """Like no_grad, for code that will never need gradients (`inference_mode(mode=True)`;
    `@inference_mode` decorates without parentheses too)."""

    def __new__(cls, mode=True):
        if callable(mode):
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (state.enabled, state.inference)
        if self.mode:
            set_enabled(False)
            state.inference = True
        else:
            state.inference = False

    def __exit__(self, *exc):
        set_enabled(self._prev[0])
        state.inference = self._prev[1]
        return False

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
