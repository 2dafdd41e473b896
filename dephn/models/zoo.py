"""Imports every model module so that each registers itself."""
# Each module below holds one model family and calls @register for its models.
from . import single_task  # noqa: F401,E402  dnn, wide_deep, dcn, fint, nfm, xdeepfm
from . import shared_bottom  # noqa: F401,E402
from . import mmoe  # noqa: F401,E402
from . import ple  # noqa: F401,E402
from . import snr  # noqa: F401,E402
from . import mtphn  # noqa: F401,E402  MT-PHN (parallel heterogeneous experts under MMoE gates)
from . import dephn  # noqa: F401,E402  DEPHN
