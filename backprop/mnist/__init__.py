"""MNIST, the handwritten digits the book trains on: found, fetched, checked, cached.

``load_mnist()`` is all a chapter needs. Each module imports only modules listed
above it:

=================  ==========================================================
``download``       fetch one file: bounded in size and time, checked, moved in place
``idx``            the MNIST files' IDX format, read and checked strictly
``source``         MNIST's files, checksums, mirrors and folders; ``load_mnist``'s
                   argument checks
``cache``          the parsed arrays kept on disk, with the proof of what they are
``shared``         float64 pixels written once and mapped by many processes (a grader's)
``loader``         ``load_mnist``: find or download the files, verify, parse, cache
=================  ==========================================================
"""
from .loader import cache_mnist, load_mnist, share_mnist
from .source import MNISTNotFoundError, cache_dir, data_folder

__all__ = ["load_mnist", "cache_mnist", "share_mnist", "MNISTNotFoundError", "cache_dir",
           "data_folder"]
