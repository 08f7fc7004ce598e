"""Shared fixtures: every test gets its own state dir; shells run in-process with fake streams."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from hsmshell.environment import Environment


class Harness:
    """An in-process hsmshell on a private state dir, with captured output."""

    def __init__(self, home: Path, **options):
        self.home = home
        self.options = options
        self.shell = None

    def env(self, **overrides) -> Environment:
        options = {"output": "json", "assume_yes": True, "interactive": False, "color": False,
                   "environ": {}, **self.options, **overrides}
        return Environment(home=self.home, stdin=io.StringIO(), stdout=io.StringIO(),
                           stderr=io.StringIO(), **options)

    def open(self, **overrides):
        from hsmshell.clusters import open_shell
        self.close()
        self.shell = open_shell(self.env(**overrides))
        return self.shell

    def run(self, line: str, source: str = "test"):
        """Run one line; returns (outcome, parsed JSON objects printed for it)."""
        if self.shell is None:
            self.open()
        out = self.shell.env.stdout
        start = out.tell()
        outcome = self.shell.run(line, source)
        out.seek(start)
        printed = [json.loads(l) for l in out.read().splitlines() if l.strip()]
        out.seek(0, io.SEEK_END)
        return outcome, printed

    def ok(self, line: str) -> dict:
        """Run a line that must succeed; returns its JSON object."""
        outcome, printed = self.run(line)
        assert outcome.status == 0, (line, printed, self.shell.env.stderr.getvalue())
        return printed[-1]

    def activate(self, password: str = "officer1pw") -> None:
        self.ok("loginHSM PRECO admin password")
        self.ok(f"changePswd PRECO admin {password}")

    def close(self) -> None:
        if self.shell is not None:
            self.shell.close()
            self.shell = None


@pytest.fixture(autouse=True, scope="session")
def warm_start_runtime(tmp_path_factory):
    """Warm-start processes that tests' console-script runs start (docs/performance.md) live in
    this session's own folder, and exit once it is removed at the end of the session."""
    runtime = tmp_path_factory.mktemp("runtime")
    before = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    yield runtime
    shutil.rmtree(runtime, ignore_errors=True)
    if before is None:
        os.environ.pop("XDG_RUNTIME_DIR", None)
    else:
        os.environ["XDG_RUNTIME_DIR"] = before


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def cluster_of(home):
    """make(N): an emulated cluster of N HSMs in the test's own home (returns the home)."""
    def make(hsms: int) -> Path:
        import time

        from hsmshell.clusters import create_emulated_cluster
        create_emulated_cluster(home / "clusters" / "default", "default", hsms, time.time)
        return home
    return make


@pytest.fixture
def harness_class():
    """Harness itself, for tests that open several (their own homes and options)."""
    return Harness


@pytest.fixture
def harness(home):
    h = Harness(home)
    yield h
    h.close()


@pytest.fixture
def activated(harness):
    """A shell logged in as the cluster's first CO (admin / officer1pw)."""
    harness.activate()
    return harness


@pytest.fixture(autouse=True)
def results_are_of_a_kind_their_spec_declares(monkeypatch):
    """Every result an in-process shell shows is of a kind its spec lists in `views=` (the
    table test checks that each declared kind has a view in every output format)."""
    from hsmshell import pipeline
    shown, real = [], pipeline.Shell._show

    def show(shell, attempt):
        if attempt.result is not None and attempt.invocation is not None:
            shown.append((attempt.invocation.spec, attempt.result.kind))
        return real(shell, attempt)

    monkeypatch.setattr(pipeline.Shell, "_show", show)
    yield
    undeclared = sorted({(spec.name, kind) for spec, kind in shown if kind not in spec.views})
    assert not undeclared, f"results of kinds their spec's views= does not list: {undeclared}"
