"""A reader that stops early (`sarlake tag list | head`) ends the CLI quietly, not with an error."""

from __future__ import annotations

import subprocess
import sys

FLOOD = """
import click
from sarlake.cli.errors import ErrorHandlingGroup

@click.group(cls=ErrorHandlingGroup)
def g():
    pass

@g.command()
def flood():
    for i in range(100_000):
        click.echo(f"line {i} " + "x" * 60)

g(["flood"])
"""


def test_a_closed_pipe_ends_the_command_without_an_error_message():
    proc = subprocess.Popen([sys.executable, "-c", FLOOD], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"line 0 " + b"x" * 60 + b"\n"
    proc.stdout.close()  # like `head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b""
