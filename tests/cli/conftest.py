"""The command-line tests read the same data samples as the data tests."""
from tests.data.conftest import criteo_lines, criteo_sample, generated_criteo, one_torch_thread, write_text  # noqa: F401
