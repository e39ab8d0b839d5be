"""Rate-limit gates kept in the ledger: turns after the reset, across restarts."""

from __future__ import annotations

from pathlib import Path

from heartbeat_bot.announcer.gate import GATE_KEY, Gates
from heartbeat_bot.ledger import Ledger
from tests.test_ledger import Clock


def test_turns_start_at_the_reset_one_second_apart_and_survive_a_restart(
    tmp_path: Path,
) -> None:
    """Held-back pairs get the reset, then a turn a second later each, and a new process
    on the same ledger goes on from the next turn instead of starting over."""
    clock = Clock()
    reset = clock.now + 3600
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        gates = Gates(ledger, clock=clock)
        assert gates.turn("twitter") is None
        gates.close("twitter", reset, "daily cap")
        assert [gates.turn("twitter") for _ in range(3)] == [reset, reset + 1, reset + 2]
        assert gates.turn("discord") is None, "one gate a channel"
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        gates = Gates(ledger, clock=clock)
        closed = gates.closed("twitter")
        assert closed is not None and closed.until == reset and "daily cap" in closed.reason
        assert gates.turn("twitter") == reset + 3


def test_a_later_reset_never_hands_out_a_turn_twice(tmp_path: Path) -> None:
    """Successive refusals each naming a slightly later reset keep the turns distinct."""
    clock = Clock()
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        gates = Gates(ledger, clock=clock)
        turns = []
        for moment in (60.0, 60.2, 60.4, 60.6):
            gates.close("discourse", clock.now + moment, "429")
            turns.append(gates.turn("discourse"))
        assert turns == [clock.now + 60, clock.now + 61, clock.now + 62, clock.now + 63]


def test_an_open_gate_lets_requests_go_and_forgets_its_turns(tmp_path: Path) -> None:
    """Once the reset has passed the gate is open and leaves nothing in the ledger."""
    clock = Clock()
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        gates = Gates(ledger, clock=clock)
        gates.close("twitter", clock.now + 10, "window")
        assert gates.turn("twitter") == clock.now + 10
        gates.close("twitter", clock.now - 1, "already over")  # a reset in the past: no-op
        clock.now += 10
        assert gates.turn("twitter") is None and gates.closed("twitter") is None
        assert ledger.get_meta(GATE_KEY + "twitter") is None
