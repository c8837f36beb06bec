"""`kefu events tail` shows the events the local stack logged as it put them on kefu's bus, oldest first."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kefu_local import cli
from kefu_local.buses import EVENTS_LOG


def logged(channel: str, detail_type: str, text: str | None, **detail) -> str:
    event = {
        "version": "0",
        "id": f"id-{channel}",
        "detail-type": detail_type,
        "source": "kefu",
        "time": "2026-11-24T03:00:00Z",
        "detail": {"ticketId": "TK-7F3K9Q2M", "channel": channel, "externalThreadId": "t-1", "text": text, **detail},
    }
    return json.dumps({"bus": "kefu-dev", "event": event}, ensure_ascii=False) + "\n"


def tail(state: Path, *args: str):
    return CliRunner().invoke(
        cli.app, ["events", "tail", *args], env={"KEFU_LOCAL_STATE": str(state), "COLUMNS": "200"}
    )


def test_each_event_is_one_line_with_its_type_channel_ticket_thread_and_text(tmp_path):
    (tmp_path / EVENTS_LOG).write_text(
        logged("chat", "kefu.ticket.replied", "您的快递已经发出。")
        + logged("chat", "kefu.ticket.status-changed", None, status={"from": "new", "to": "open"}),
        encoding="utf-8",
    )

    shown = tail(tmp_path)

    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert len(lines) == 2
    assert all(
        part in lines[0] for part in ("kefu.ticket.replied", "chat", "TK-7F3K9Q2M", "thread=t-1", "您的快递已经发出。")
    )
    assert lines[1].endswith("open")


def test_with_json_each_event_is_printed_as_its_queue_receives_it(tmp_path):
    (tmp_path / EVENTS_LOG).write_text(logged("phone", "kefu.ticket.replied", "Call back tomorrow"), encoding="utf-8")

    shown = tail(tmp_path, "--json")

    assert [json.loads(line)["detail"]["channel"] for line in shown.output.splitlines()] == ["phone"]


def test_before_the_stack_put_any_event_it_says_so(tmp_path):
    shown = tail(tmp_path)

    assert shown.exit_code == 0
    assert "no events yet" in shown.output


def test_a_line_still_being_written_is_not_shown_half(tmp_path):
    whole = logged("chat", "kefu.ticket.replied", "first")
    (tmp_path / EVENTS_LOG).write_text(whole + whole[:30], encoding="utf-8")

    shown = tail(tmp_path, "--json")

    assert len(shown.output.splitlines()) == 1
