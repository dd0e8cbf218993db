"""Parameter schedulers of the tracking recipes."""

from .siamrpn_exp_scheduler import SiamRPNExpLR, SiamRPNExpParamScheduler

__all__ = ["SiamRPNExpLR", "SiamRPNExpParamScheduler"]
