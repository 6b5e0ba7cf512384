"""The doors money comes through.

Each sub-package is a channel plug-in, found through the `receipting.channels` entry point group.
"""
