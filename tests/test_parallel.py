"""The worker pool: results in order, and a forked process gets working threads of its own."""

from __future__ import annotations

import os

import pytest

from datalit.generators.parallel import in_background, parallel_map


def test_results_come_in_the_items_order():
    assert parallel_map(lambda x: x * x, range(50)) == [x * x for x in range(50)]
    assert in_background(lambda: "done").result(timeout=10) == "done"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_can_use_the_pool():
    parallel_map(abs, range(4))  # the parent's threads are running
    pid = os.fork()
    if pid == 0:  # the child: without its own pool this would wait forever
        import signal

        signal.alarm(10)
        os._exit(0 if parallel_map(abs, [-1, -2]) == [1, 2] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
