"""Run the command line as ``python -m deidc``: ``argv`` → exit code."""

from __future__ import annotations

from deidc.cli import console

if __name__ == "__main__":
    console()
