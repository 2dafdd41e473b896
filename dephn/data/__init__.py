"""Data: readers, encoding, cache, generated Criteo data and the Criteo-R/UR builder.

Entry point: `load_dataset(name, path=None, ...)` -> `EncodedDataset` (see `dephn.data.datasets`).
"""
from .datasets import dataset_names, load_dataset, load_encoder
from .encode import Encoder
from .encoded import EncodedDataset, EncodedSplit
from .schema import FeatureSpec, Schema

__all__ = ["EncodedDataset", "EncodedSplit", "Encoder", "FeatureSpec", "Schema",
           "dataset_names", "load_dataset", "load_encoder"]
