"""SIGINT/SIGTERM raise :class:`~aksflow.errors.Interrupted` in the main thread; it must unwind
through the Pulumi SDK's asyncio event loop like KeyboardInterrupt (aksflow/interrupts.py)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from aksflow import interrupts
from aksflow.errors import Interrupted


def test_an_interrupt_in_a_task_nobody_awaits_ends_the_event_loop() -> None:
    """asyncio keeps any BaseException but KeyboardInterrupt and SystemExit as the task's
    result: an Interrupted raised in a fire-and-forget task (as the Pulumi SDK runs resource
    registrations) would vanish, and the loop wait on until the child was killed."""

    async def registration() -> None:
        raise Interrupted(signal.SIGTERM)

    async def program() -> None:
        task = asyncio.create_task(registration())
        await asyncio.sleep(5)  # reached only if the interrupt was swallowed
        del task

    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(Interrupted) as caught:
            loop.run_until_complete(program())
    finally:
        loop.close()
    assert caught.value.exit_code == 128 + signal.SIGTERM


def test_sigterm_during_an_event_loop_unwinds_with_its_exit_code() -> None:
    async def program() -> None:
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
        await asyncio.sleep(5)

    loop = asyncio.new_event_loop()
    try:
        with interrupts.handled(), pytest.raises(Interrupted) as caught:
            loop.run_until_complete(program())
    finally:
        loop.close()
    assert caught.value.exit_code == 143
    assert not isinstance(caught.value, Exception)  # `except Exception` never swallows it
