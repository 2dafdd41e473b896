"""The study: the paper's tables and figures as library calls, and the notebook runner."""
from .context import Study, open_study
from .profiles import PROFILES, Profile, get_profile

__all__ = ["Study", "open_study", "PROFILES", "Profile", "get_profile"]
