"""Small helpers shared by the core modules."""

from .build_check import accepted_params, check_kwargs, check_type_name, visible_names
from .errors import USER_ERRORS, UserError
from .signature import merge_kwargs_signature
from .suggest import did_you_mean, suggest

__all__ = [
    "USER_ERRORS",
    "UserError",
    "accepted_params",
    "check_kwargs",
    "check_type_name",
    "did_you_mean",
    "merge_kwargs_signature",
    "suggest",
    "visible_names",
]
