"""A stopping signal is never lost, even when its raise lands in code that ignores exceptions."""

from __future__ import annotations

import contextlib
import signal

import pytest

from corpus import Ingest, IngestOptions
from corpus import signals as stops
from corpus.dedup.minhash import MinHashParams
from corpus.dedup.state import StateIndex
from corpus.signals import Stopped, forget_stops, raise_if_stopped, stop
from tests.conftest import STORY, write


def swallowed(signum: int) -> None:
    """What Python's hooks around a fork do with an exception: print "Exception ignored" and go on."""
    with contextlib.suppress(BaseException):  # the point: the raise is lost here
        stop(signum)


@pytest.fixture(autouse=True)
def no_stop_left():
    forget_stops()
    yield
    forget_stops()


def test_a_lost_raise_is_raised_again_with_its_signal():
    raise_if_stopped()  # nothing came: nothing raised
    swallowed(signal.SIGTERM)
    with pytest.raises(Stopped) as stopped:
        raise_if_stopped()
    assert stopped.value.signum == signal.SIGTERM
    forget_stops()
    swallowed(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt) as interrupted:
        raise_if_stopped()
    assert not isinstance(interrupted.value, Stopped)  # Ctrl-C stays Ctrl-C (exit status 130)


def test_a_run_whose_stop_was_lost_stops_at_the_next_document_and_commits_nothing(tmp_path, monkeypatch):
    for i in range(6):
        write(tmp_path / "in" / f"{i}.txt", f"Story number {i}\n\n" + "\n\n".join(STORY[i % 3:] + STORY[:i % 3]))
    state = StateIndex(str(tmp_path / "state.db"), MinHashParams())
    run = Ingest(IngestOptions(workers=1), state=state)
    seen = []

    def noting(*args, **kwargs):  # the third document read: SIGTERM lands where its raise is lost
        seen.append(1)
        if len(seen) == 3:
            swallowed(signal.SIGTERM)

    monkeypatch.setattr(run, "_on_file", noting)
    with pytest.raises(Stopped):
        list(run.records([str(tmp_path / "in")]))
    assert len(seen) == 3  # the next document did not go by
    with pytest.raises(Stopped):
        run.save_state()
    assert stops._requested == [signal.SIGTERM]
