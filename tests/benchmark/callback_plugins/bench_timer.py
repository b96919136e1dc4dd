# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: writes the wall time of every task to a JSON file."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Record per-task wall times for the benchmark
description:
  - Writes every task with its wall time (C(task), C(action), C(seconds), C(items)) and the
    wall time of the whole playbook to the JSON file named by the environment variable
    E(BINTU_BENCH_TIMINGS). Does nothing when that variable is unset.
requirements:
  - enable in configuration
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Per-task timings for tests/benchmark/bench.py."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("BINTU_BENCH_TIMINGS")
        self._created = time.time()
        self._start = None
        self._current = None
        self._tasks = []

    def _close_current(self):
        if self._current is not None:
            self._current["seconds"] = round(time.time() - self._current.pop("_t0"), 4)
            self._tasks.append(self._current)
            self._current = None

    def v2_playbook_on_start(self, playbook):
        self._start = time.time()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_current()
        self._current = {"task": task.get_name(), "action": task.action, "items": 0, "_t0": time.time()}

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_item_on_ok(self, result):
        if self._current is not None:
            self._current["items"] += 1

    def v2_runner_item_on_skipped(self, result):
        if self._current is not None:
            self._current["items"] += 1

    def v2_playbook_on_stats(self, stats):
        self._close_current()
        if not self._path:
            return
        data = {
            "callback_loaded_to_playbook_start_s": round((self._start or self._created) - self._created, 4),
            "tasks": self._tasks,
            "playbook_s": round(time.time() - (self._start or self._created), 4),
        }
        with open(self._path, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
