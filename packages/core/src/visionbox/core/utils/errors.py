"""The mistakes a user can fix: the ``visionbox`` command prints their message and exits with 2.

Every error that names something the user supplied (a config key, a file, a checkpoint, an input
array) derives from :class:`UserError`, so a command line can tell it from a bug: a user error is
one clear message and a non-zero exit, a bug is a traceback.
"""

from __future__ import annotations

__all__ = ["UserError", "USER_ERRORS"]


class UserError(Exception):
    """A mistake in what the user gave VisionBox (config, file, checkpoint, input); not a bug."""


#: Exception types that read as user errors although they do not derive from :class:`UserError`
#: (a missing file named by the user, a value of the wrong kind). Command lines print them as such.
USER_ERRORS: tuple[type[BaseException], ...] = (UserError, FileNotFoundError, IsADirectoryError)
