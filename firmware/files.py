"""Small file-system helpers the services share (os has no exists() or makedirs())."""

import os


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def makedirs(path):
    """Make path and the folders above it that are missing."""
    parts = path.split("/")
    at = parts[0]  # "" for an absolute path
    if at and not exists(at):
        os.mkdir(at)
    for part in parts[1:]:
        at += "/" + part
        if not exists(at):
            os.mkdir(at)
