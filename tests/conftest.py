"""Fixtures; the helpers the test modules share are in tests/helpers.py."""

import signal

import pytest


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in-process code from an empty folder, so runs/ and videos/ land there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def default_sigint():
    """Ctrl-C as in a terminal, also where pytest runs as a background job (which starts with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
