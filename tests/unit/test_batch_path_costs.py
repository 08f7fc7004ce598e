"""What a batch pays per command and per start (docs/performance.md, the batch rows): each
test pins one cut, and checks that the cheaper way gives the same answer."""

from __future__ import annotations

import datetime as dt
import random

from hsmshell import cli
from hsmshell.audit import log
from hsmshell.commands import command_table


def _stamp_by_datetime(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"


def test_audit_time_stamps_format_the_date_once_a_second_and_read_as_datetime_does(monkeypatch):
    rng = random.Random(15)
    near_a_second = [s + d for s in (1796426863.0, 1796426864.0) for d in (-5e-7, -4.9e-7, 4.9e-7, 5e-7, 0.9999995)]
    for epoch in [rng.uniform(0, 4e9) for _ in range(20000)] + near_a_second:
        assert log.utc_stamp(epoch) == _stamp_by_datetime(epoch), epoch
    calls = []
    real = log.dt.datetime

    class Counting(real):
        @classmethod
        def fromtimestamp(cls, *args, **kwargs):
            calls.append(args)
            return real.fromtimestamp(*args, **kwargs)
    monkeypatch.setattr(log.dt, "datetime", Counting)
    second = 1796426900.0
    stamps = [log.utc_stamp(second + n / 1000) for n in range(1000)]
    assert len(calls) <= 1 and stamps[1] == _stamp_by_datetime(second + 0.001)


def test_the_phrase_roots_are_built_once_and_again_after_an_add():
    table = command_table()
    roots = table.phrase_roots
    assert roots is table.phrase_roots and "key" in roots and "user" in roots
    from hsmshell.record import replace
    phrase = next(iter(table.phrases.values()))
    table.add(replace(phrase, name="zzroot verb"))
    assert "zzroot" in table.phrase_roots


def test_a_subcommand_builds_only_its_own_parser_and_help_still_lists_them_all(monkeypatch, capsys):
    from hsmshell.subcommands import SUBCOMMANDS
    built = []
    for module in SUBCOMMANDS:
        real = module.add_arguments
        monkeypatch.setattr(module, "add_arguments",
                            lambda parser, common, real=real, name=module.NAME: (built.append(name), real(parser, common)))
    options = cli.parse_arguments(["--json", "run", "batch.hsm", "--yes"])
    assert (options.mode, options.file, options.output, options.yes) == ("run", "batch.hsm", "json", True)
    assert built == ["run"]
    built.clear()
    try:
        cli.parse_arguments(["--help"])
    except SystemExit:
        pass
    assert sorted(built) == sorted(m.NAME for m in SUBCOMMANDS)
    shown = capsys.readouterr().out
    assert all(m.NAME in shown for m in SUBCOMMANDS)
    built.clear()
    try:
        cli.parse_arguments(["run", "-h"])                  # a subcommand's help: the full parser
    except SystemExit:
        pass
    assert len(built) == len(SUBCOMMANDS)


def test_option_words_find_their_argument_by_one_lookup_as_the_first_arg_naming_them():
    table = command_table()
    specs = list(table) + list(table.phrases.values())
    for spec in specs:
        words = {flag for arg in spec.args for flag in arg.flags} | {"-nosuch", "--nosuch", "x"}
        for word in words:
            first = next((arg for arg in spec.args if word in arg.flags), None)
            assert spec.arg_for_flag(word) is first, (spec.name, word)
