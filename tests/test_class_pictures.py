"""The class report's pictures drawn by a forked helper while the parent writes the pages
(class_pictures.Drawing): the same bytes as drawn in one process, a helper started early used by the
next report, and the parent drawing whatever the helper did not deliver (it failed, was gone, or could
not be started), so that drawing's own errors still raise."""

from __future__ import annotations

import os
import threading

import pytest

from grader.report import class_pictures
from grader.report.class_pictures import ALT, Drawing, pictures
from grader.report.class_report import class_stats
from tests.test_class_report import class_of_four


@pytest.fixture(scope="module")
def stats():
    return class_stats(class_of_four())


@pytest.fixture(scope="module")
def alone(stats) -> dict[str, bytes]:
    return pictures(stats)  # one process, as before there was a helper


@pytest.mark.timeout(120)
def test_the_helper_draws_and_the_bytes_are_those_of_one_process(stats, alone):
    drawing = Drawing(stats)
    assert drawing.helper is not None  # a helper was started (one thread here, and fork is available)
    drawn = drawing.finish()
    assert drawing.delivered == list(ALT)  # all four from the helper, in the page's order
    assert drawn == alone and list(drawn) == list(ALT)  # the same bytes
    assert drawing.helper is None  # reaped


@pytest.mark.timeout(120)
def test_a_helper_started_early_is_the_one_that_draws(stats, alone):
    class_pictures.prepare()
    early = class_pictures._prepared
    assert early is not None and early.process.is_alive()  # waiting, matplotlib imported or on its way
    drawing = Drawing(stats)
    assert drawing.helper is early and class_pictures._prepared is None  # taken, by one report only
    assert drawing.finish() == alone and drawing.delivered == list(ALT)
    assert not early.process.is_alive()


@pytest.mark.timeout(120)
def test_a_helper_that_is_gone_before_it_is_asked_is_replaced(stats, alone):
    class_pictures.prepare()
    early = class_pictures._prepared
    assert early is not None
    early.process.kill()
    early.process.join()
    drawing = Drawing(stats)
    assert drawing.helper is not None and drawing.helper is not early
    assert drawing.finish() == alone and drawing.delivered == list(ALT)


@pytest.mark.timeout(120)
def test_a_helper_that_fails_costs_nothing_but_time(stats, alone, monkeypatch):
    parent, real = os.getpid(), class_pictures._draw

    def draw(job):
        if os.getpid() != parent:  # only in the forked helper
            raise MemoryError("the helper ran out")
        return real(job)

    monkeypatch.setattr(class_pictures, "_draw", draw)
    drawing = Drawing(stats)
    assert drawing.helper is not None
    assert drawing.finish() == alone
    assert drawing.delivered == []  # the parent drew all four


@pytest.mark.timeout(120)
def test_no_helper_is_forked_while_another_thread_runs(stats, alone):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        class_pictures.prepare()  # refused too
        drawing = Drawing(stats)
        assert class_pictures._prepared is None and drawing.helper is None
        assert drawing.finish() == alone and drawing.delivered == []
    finally:
        stop.set()
        other.join()


@pytest.mark.timeout(120)
def test_an_error_in_drawing_is_raised_in_the_parent_as_before(stats, monkeypatch):
    from grader.report import plots

    def broken(*args):
        raise ValueError("a picture cannot be drawn")

    monkeypatch.setattr(plots, "grading_time", broken)
    drawing = Drawing(stats)
    with pytest.raises(ValueError, match="cannot be drawn"):
        drawing.finish()
    assert drawing.helper is None and class_pictures.TIMES not in drawing.drawn
