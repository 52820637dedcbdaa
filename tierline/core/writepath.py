"""The single write path, enforced at run time.

Escalation and event rows may only be saved while an action from tierline.actions is
running. Actions enter `write_path()`; the models call `require_write_path()` on save. A
save from anywhere else (a view, a shell, a stray script) raises instead of silently writing
an unaudited change.
"""

from __future__ import annotations

import contextlib
import contextvars

from tierline.core.errors import WritePathViolation

_active: contextvars.ContextVar[str | None] = contextvars.ContextVar("tierline_write_path", default=None)


@contextlib.contextmanager
def write_path(name: str):
    token = _active.set(name)
    try:
        yield
    finally:
        _active.reset(token)


def in_write_path() -> bool:
    return _active.get() is not None


def require_write_path(model_name: str) -> None:
    if _active.get() is None:
        raise WritePathViolation(
            f"{model_name} rows are written only by tierline.actions; "
            "call the action instead of saving the model"
        )
