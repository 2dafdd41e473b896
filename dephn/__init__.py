"""dephn: reference implementation of DEPHN (IJCNN 2023) and the multi-task
recommendation models around it."""

__version__ = "0.1.0"
