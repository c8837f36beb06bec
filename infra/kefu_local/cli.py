"""The `kefu` command: `kefu local up` runs kefu on this machine, `kefu local token` prints a token,
`kefu dlq show|redrive` looks into the intake dead-letter queue and sends its messages back, `kefu events tail`
shows the outbound events the local stack put on kefu's bus, `kefu report` writes the service KPIs of a period as an
HTML page."""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from kefu.identity import Role
from kefu_local.config import (
    API_PORT_VAR,
    AWS_PORT_VAR,
    SMTP_PORT_VAR,
    STATE_VAR,
    WEB_PORT_VAR,
    LocalConfig,
    LocalStackError,
    default_state_dir,
)
from kefu_local.seed import DEMO_PEOPLE, GROUPS, demo_person
from kefu_local.tokens import ROLE_GROUPS, LocalUserPool, TokenUse

if TYPE_CHECKING:
    from kefu_local.stack import LocalStack

app = typer.Typer(no_args_is_help=True, add_completion=False, help="kefu (客服), the customer-service desk.")
local = typer.Typer(no_args_is_help=True, help="kefu on this machine: no AWS account, no Docker (docs/architecture.md)")
app.add_typer(local, name="local")
dlq = typer.Typer(
    no_args_is_help=True,
    help="The intake dead-letter queue, in AWS or the local stack (AWS_ENDPOINT_URL): look, then send back.",
)
app.add_typer(dlq, name="dlq")
events = typer.Typer(no_args_is_help=True, help="kefu's outbound events, as the local stack put them on its bus.")
app.add_typer(events, name="events")

DLQ_VAR = "KEFU_INTAKE_DLQ"
QUEUE_VAR = "KEFU_INTAKE_QUEUE"
DeadLetterOption = Annotated[
    str, typer.Option("--dlq", envvar=DLQ_VAR, help="the dead-letter queue's name or URL (the stack's output)")
]
SourceOption = Annotated[
    str | None,
    typer.Option("--queue", envvar=QUEUE_VAR, help="the queue to send back to; default: the one redriving here"),
]

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def _kefu_command() -> str:
    """How to call this command from the current directory (it lives in the project's venv)."""
    script = Path(sys.argv[0])
    if script.name == "kefu" and script.is_file():
        try:
            return str(script.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(script)
    return "kefu"


def _fail(err: LocalStackError) -> typer.Exit:
    errors.print(f"[bold red]kefu local:[/] {escape(str(err))}", soft_wrap=True)
    return typer.Exit(1)


@local.command()
def up(
    month: Annotated[
        bool, typer.Option("--month", help="also write a month of demo traffic (~100 tickets a weekday) at start")
    ] = False,
) -> None:
    """Start the local stack: a moto AWS endpoint with kefu's tables and demo data, and the HTTP API."""
    _configure_logging()
    if month:
        os.environ.setdefault("KEFU_LOCAL_SEED_MONTH", "100")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    # Imported here, not at the top: moto's server is not needed to print a token.
    from kefu_local.stack import LocalStack

    try:
        stack = LocalStack(LocalConfig.from_env())
        stack.start()
    except LocalStackError as err:
        raise _fail(err) from None
    try:
        _print_banner(stack)
        while not stopping.wait(timeout=1):
            pass
        console.print("stopping kefu local…")
    finally:
        stack.stop()
    console.print("kefu local stopped")


@local.command()
def seed(
    month: Annotated[bool, typer.Option("--month", help="write a month of demo traffic ending today")] = False,
    per_day: Annotated[
        int,
        typer.Option(min=1, max=2000, envvar="KEFU_LOCAL_SEED_MONTH", help="tickets a weekday (weekends about 60%)"),
    ] = 100,
    days: Annotated[int, typer.Option(min=1, max=92, help="desk days of traffic")] = 30,
) -> None:
    """Write demo data into the local state while the stack is stopped (the next `kefu local up` starts with it):
    the demo people and knowledge base always, with --month a month of tickets from every channel, written by the
    domain's own services under a held clock and aggregated for the KPI report."""
    _configure_logging()
    from kefu_local.stack import LocalStack

    try:
        written = LocalStack(LocalConfig.from_env()).seed(per_day if month else None, days)
    except LocalStackError as err:
        raise _fail(err) from None
    console.print(
        f"kefu local: demo data seeded, and {written} tickets of demo traffic"
        if month
        else "kefu local: demo data seeded"
    )


@local.command()
def reset() -> None:
    """Start the next `kefu local up` clean: forget the tables, queues, buckets, schedules and executions it kept
    (the token signing key stays, so tokens already printed still work). Run it while the stack is stopped."""
    from kefu_local.persistence import reset as forget

    state_dir = default_state_dir()
    if forget(state_dir):
        console.print(f"kefu local: the local AWS state in {state_dir} is gone; the next start is clean")
    else:
        console.print(f"kefu local: no local AWS state in {state_dir}; the next start is clean")


@local.command()
def token(
    role: Annotated[Role, typer.Option(help="customer (no group), agent, supervisor or admin")] = Role.CUSTOMER,
    sub: Annotated[str | None, typer.Option(help="the user's id; default: the role's demo user")] = None,
    email: Annotated[str | None, typer.Option(help="default: the role's demo user's")] = None,
    group: Annotated[list[str] | None, typer.Option(help="an extra Cognito group (repeatable)")] = None,
    ttl: Annotated[int, typer.Option(min=1, help="seconds until it expires")] = 3600,
    token_use: Annotated[TokenUse, typer.Option(help="an ID token (aud) or access token (client_id)")] = TokenUse.ID,
    phone: Annotated[str | None, typer.Option(help="a phone number claim, in E.164 (+8613800138000)")] = None,
    unverified: Annotated[
        bool,
        typer.Option(
            "--unverified",
            help="the e-mail and phone are not verified: the user is never linked to a record they belong to",
        ),
    ] = False,
) -> None:
    """Print a token the local HTTP API accepts, as the Cognito user pool would issue it (an ID token's e-mail and
    phone verified, as after Cognito's confirmation, unless --unverified)."""
    pool = LocalUserPool.load_or_create(default_state_dir())
    person = demo_person(role)
    groups = list(dict.fromkeys([*ROLE_GROUPS[role], *(group or [])]))
    typer.echo(
        pool.mint(
            sub or person.sub,
            email=email or (person.email if sub is None else None),
            groups=groups,
            token_use=token_use,
            ttl_seconds=ttl,
            phone=phone,
            verified=not unverified,
        )
    )


@local.command()
def fire(
    schedule: Annotated[str, typer.Argument(help="its name, or group/name (the banner lists them so)")],
    at: Annotated[
        str | None,
        typer.Option(help="the occurrence's scheduled time, ISO 8601 (UTC without an offset); default: its next"),
    ] = None,
) -> None:
    """Fire a schedule of the running local stack now, as EventBridge Scheduler fires one of its occurrences: the
    target gets the schedule's input for that scheduled time (the monthly QA sampling, a campaign's run, without
    waiting for them). The schedule's timetable is left as it is."""
    from botocore.exceptions import EndpointConnectionError

    from kefu_local.firing import NoOccurrence, ScheduleNotFound
    from kefu_local.firing import fire as fire_schedule
    from kefu_local.schedules import Deliverer

    try:
        when = _instant(at) if at is not None else None
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--at") from None
    config = LocalConfig.from_env()
    # The local endpoint takes any credentials (kefu's are testing/testing): a shell's real ones never go to it.
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        fired = fire_schedule(Deliverer(config.aws_endpoint), schedule, at=when)
    except (ScheduleNotFound, NoOccurrence) as err:
        raise _fail(LocalStackError(str(err))) from None
    except EndpointConnectionError:
        raise _fail(
            LocalStackError(f"no local stack answers at {config.aws_endpoint} (start it: kefu local up)")
        ) from None
    name = f"{fired.schedule.group}/{fired.schedule.name}"
    scheduled = fired.scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not fired.delivered:
        errors.print(
            f"[bold red]kefu local:[/] {name} for {scheduled} was not delivered to {fired.schedule.target['Arn']}"
        )
        raise typer.Exit(1)
    console.print(f"kefu local: fired {name} for {scheduled} → {fired.schedule.target['Arn']}", soft_wrap=True)


def _instant(text: str) -> datetime:
    """An ISO 8601 time, UTC when it names no offset."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@events.command("tail")
def events_tail(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep showing new events as they come")] = False,
    raw: Annotated[
        bool, typer.Option("--json", help="each event as one line of JSON, as its queue receives it")
    ] = False,
) -> None:
    """Show the events the local stack put on kefu's bus (answers, status changes, survey requests), oldest first:
    which channel's queue each went to, and what it says."""
    from kefu_local.buses import EVENTS_LOG, read_log

    log = default_state_dir() / EVENTS_LOG
    if not follow and not log.exists():
        console.print(f"no events yet ({log} does not exist: start the local stack, answer a ticket)")
        return
    try:
        for logged in read_log(log, follow=follow):
            event = logged["event"]
            if raw:
                sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                continue
            detail = event.get("detail") or {}
            text = detail.get("text") or (detail.get("status") or {}).get("to") or ""
            console.print(
                f"{event.get('time')}  {logged['bus']}  {event.get('detail-type')}  {detail.get('channel')}  "
                f"{detail.get('ticketId')}  thread={detail.get('externalThreadId')}  {escape(str(text))}",
                soft_wrap=True,
            )
    except KeyboardInterrupt:
        return


@dlq.command("show")
def dlq_show(
    dead_letters: DeadLetterOption,
    limit: Annotated[int, typer.Option(min=1, help="at most this many messages")] = 50,
) -> None:
    """List the dead-lettered messages (left in the queue), each with why it is there: the reason intake gave it, or
    "retries exhausted" (the function's logs say more, by message id)."""
    from kefu_local.dead_letters import DeadLetterError, DeadLetterQueue

    try:
        messages = DeadLetterQueue(dead_letters).show(limit)
    except DeadLetterError as err:
        raise _fail_dlq(err) from None
    if not messages:
        console.print("the dead-letter queue is empty")
        return
    table = Table("message id", "receives", "reason", "body")
    for message in messages:
        table.add_row(
            message.message_id,
            str(message.receive_count),
            escape(message.explanation()),
            escape(message.preview()),
        )
    console.print(table)
    console.print(f"{len(messages)} message(s)")


@dlq.command("redrive")
def dlq_redrive(
    dead_letters: DeadLetterOption,
    source: SourceOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="at most this many messages; default: all")] = None,
) -> None:
    """Send the dead-lettered messages back to their queue (after fixing what made them fail), without the
    reason intake gave them."""
    from kefu_local.dead_letters import DeadLetterError, DeadLetterQueue

    try:
        result = DeadLetterQueue(dead_letters, source=source).redrive(limit)
    except DeadLetterError as err:
        raise _fail_dlq(err) from None
    console.print(f"{result.moved} message(s) sent back to {result.source_url}", soft_wrap=True)


def _fail_dlq(err: Exception) -> typer.Exit:
    errors.print(f"[bold red]kefu dlq:[/] {escape(str(err))}", soft_wrap=True)
    return typer.Exit(1)


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    local_log = logging.getLogger("kefu_local")
    local_log.addHandler(handler)
    local_log.setLevel(logging.INFO)
    local_log.propagate = False
    # moto's server would otherwise log every AWS call the handlers make.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _print_banner(stack: LocalStack) -> None:
    config = stack.config
    api = config.api_url
    kefu = _kefu_command()
    state_prefix = f"{STATE_VAR}={shlex.quote(str(config.state_dir))} " if os.environ.get(STATE_VAR) else ""

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("HTTP API", f"{api}   [dim]({API_PORT_VAR})[/]")
    if stack.web is not None:
        table.add_row("web app", f"{stack.web.url}   [dim]({WEB_PORT_VAR}; ?as=<demo user> signs in)[/]")
    table.add_row("health", f"{api}/health")
    table.add_row("API docs", f"{api}/docs   {api}/openapi.json")
    table.add_row("AWS endpoint", f"{config.aws_endpoint}   [dim]({AWS_PORT_VAR}; credentials testing/testing)[/]")
    resources = stack.resources
    table.add_row("tables", ", ".join(resources.tables) or "-")
    table.add_row("queues", "\n".join(resources.queues.values()) or "-")
    table.add_row("buckets", ", ".join(resources.buckets) or "-")
    table.add_row(
        "pollers",
        "\n".join(
            [
                *(
                    f"{p.function.name} ← {p.mapping.queue_url.rsplit('/', 1)[-1]} (batch {p.mapping.batch_size})"
                    for p in stack.pollers
                ),
                *(
                    f"{p.mapping.function} ← {p.mapping.stream_arn.split('/')[1]} stream (batch {p.mapping.batch_size})"
                    for p in stack.stream_pollers
                ),
            ]
        )
        or "-",
    )
    table.add_row("state machines", "\n".join(m.name for m in stack.state_machines.values()) or "-")
    schedules = [arn.split(":schedule/", 1)[-1] for arn in stack.schedules]
    if schedules:
        schedules[-1] += f"   [dim]({kefu} local fire <group/name> runs one now)[/]"
    table.add_row("schedules", "\n".join(schedules) or "-")
    smtp = stack.smtp
    if smtp is not None:
        tls = "STARTTLS required, self-signed certificate" if smtp.tls_required else "STARTTLS offered"
        table.add_row("SMTP", f"{config.smtp_address}   [dim]({SMTP_PORT_VAR}; {tls})[/]")
        table.add_row("mail for", ", ".join(smtp.recipients) or "- (no SES receipt rule)")
    if stack.time_scale:
        table.add_row(
            "time scale",
            f"×{stack.time_scale:g}   "
            f"[dim](KEFU_TIME_SCALE: a virtual hour passes in {3600 / stack.time_scale:.3g} real seconds)[/]",
        )
    table.add_row("groups", ", ".join(GROUPS))
    table.add_row(
        "demo users",
        ", ".join(f"{p.sub} ({p.role.value})" for p in DEMO_PEOPLE),
    )
    table.add_row("routes", f"{len(stack.routes)} (public: {sum(not r.needs_auth for r in stack.routes)})")
    kept = "restored from the last run" if stack.restored else "new"
    table.add_row(
        "state",
        f"{config.state_dir}   [dim](token signing key; AWS state {kept}, saved as it changes; "
        f"`{kefu} local reset` to start clean)[/]",
    )
    console.print(Panel(table, title="[bold green]kefu local is up[/]", expand=False))

    body = '{"subject":"Where is my parcel?","description":"Order 1001 has not arrived yet."}'
    examples = [
        "# a token for a role (customer, agent, supervisor, admin):",
        f"TOKEN=$({state_prefix}{kefu} local token --role customer)",
        "# open a ticket, then list your tickets:",
        f'curl -s -X POST {api}/tickets -H "Authorization: Bearer $TOKEN" '
        f"-H 'content-type: application/json' -d '{body}'",
        f'curl -s {api}/tickets -H "Authorization: Bearer $TOKEN"',
        "# the data, with any AWS tool:",
        f"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --region us-east-1 "
        f"--endpoint-url {config.aws_endpoint} dynamodb scan --table-name {stack.domain_table}",
    ]
    if stack.intake_queue_url:
        contact = '{"channel":"web","externalId":"web-1","customer":{"email":"ann@example.com"},'
        examples += [
            "# a contact into the intake queue (it becomes a ticket; what intake cannot take ends in the DLQ):",
            f"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --region us-east-1 "
            f"--endpoint-url {config.aws_endpoint} sqs send-message --queue-url {stack.intake_queue_url} "
            f'--message-body \'{contact}"subject":"Broken lid","body":"The lid arrived cracked."}}\'',
            f"AWS_ENDPOINT_URL={config.aws_endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
            f"AWS_DEFAULT_REGION=us-east-1 {kefu} dlq show --dlq {stack.intake_dlq_name}",
        ]
    if smtp is not None and smtp.example_recipient:
        to = smtp.example_recipient
        starttls = " s.starttls();" if smtp.tls_required else ""
        message = "Subject: Broken lid\\r\\n\\r\\nThe lid arrived cracked.\\r\\n"
        examples += [
            "# a customer e-mail, received as SES receives it (stored raw in the mail bucket, then handed on):",
            f"swaks --server {config.smtp_address}{' --tls' if smtp.tls_required else ''} --from ann@example.com "
            f"--to {to} --header 'Subject: Broken lid' --body 'The lid arrived cracked.'",
            f"python3 -c \"import smtplib; s = smtplib.SMTP('{config.host}', {config.smtp_port});{starttls} "
            f"s.sendmail('ann@example.com', ['{to}'], b'{message}'); s.quit()\"",
        ]
    for line in examples:
        console.print(line, style="dim" if line.startswith("#") else None, markup=False, soft_wrap=True)
    console.print("Ctrl-C stops it.", soft_wrap=True)


@app.command("report")
def report(
    start: Annotated[str, typer.Option("--from", help="the first desk day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="the last desk day, YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="where to write the HTML page")] = Path("report.html"),
    api: Annotated[str, typer.Option(envvar="KEFU_API_URL", help="the API's base URL (the stack's ApiUrl)")] = "",
    token: Annotated[
        str | None, typer.Option(envvar="KEFU_TOKEN", help="a supervisor's bearer token; default: a local one")
    ] = None,
) -> None:
    """Write the service KPIs of a period as one HTML page with charts that opens offline."""
    from datetime import date

    from rich.progress import Progress

    from kefu_local import report as kpi_report

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        errors.print("--from and --to are dates written YYYY-MM-DD")
        raise typer.Exit(2) from None
    base = api or f"http://127.0.0.1:{os.environ.get(API_PORT_VAR, '3000')}"
    if token is None:
        person = demo_person(Role.SUPERVISOR)
        pool = LocalUserPool.load_or_create(default_state_dir())
        token = pool.mint(person.sub, email=person.email, groups=list(ROLE_GROUPS[Role.SUPERVISOR]))
    with Progress(console=errors, transient=True) as bar:
        task = bar.add_task("fetching the reports", total=None)
        try:
            fetched = kpi_report.fetch(
                base, token, first, last, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
        except kpi_report.ReportError as err:
            errors.print(f"[red]{escape(str(err))}[/red]")
            raise typer.Exit(1) from None
    out.write_text(kpi_report.render(fetched), encoding="utf-8")
    console.print(f"wrote {out}")


def main() -> None:
    app()
