"""`pytest --nbval-lax notebooks/` needs no other flag: the checked cells' outputs are compared
after the project's sanitize rules (times, addresses, paths), in this environment's kernel."""
from pathlib import Path

SANITIZE = Path(__file__).with_name("sanitize.cfg")


def pytest_configure(config):
    option = config.option
    if hasattr(option, "nbval_sanitize_with") and option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)
    if hasattr(option, "nbval_current_env"):
        option.nbval_current_env = True
