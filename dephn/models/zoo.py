"""Imports every model module so that each registers itself."""
# Each module below holds one model family and calls @register for its models.
