"""`fourx-dev`: run fourx on this machine — the stack, the demo, dev tokens."""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from fourx_ops.cli import register as register_ops_commands

from fourx_local import stack
from fourx_local.process import ProcessStartError

app = typer.Typer(help="Run fourx locally: Kafka, SecantusDB and the three services, and the demo.",
                  no_args_is_help=True, add_completion=False)
console = Console()


def _say(message: str) -> None:
    console.print(f"[dim]{message}[/]")


@app.command()
def up(partitions: Annotated[int, typer.Option(help="partitions per topic")] = 6,
       kafka_nodes: Annotated[int, typer.Option(help="Kafka nodes; 3 = a KRaft cluster, topics at RF 3")] = 1,
       replicas: Annotated[int, typer.Option(min=1, max=9, help="processes of each service (one consumer group)")] = 1,
       ) -> None:
    """Start Kafka, the store and the services in the background."""
    try:
        state = stack.up(partitions, say=_say, kafka_nodes=kafka_nodes, replicas=replicas)
    except ProcessStartError as exc:
        # The component's log tail (in the message) is the diagnosis; a traceback only hides it.
        print(f"启动失败：{exc}", file=sys.stderr, flush=True)
        raise typer.Exit(1) from None
    # Plain lines, for `eval`/scripts and for people.
    print(f"KAFKA_BOOTSTRAP={state.kafka_bootstrap}")
    if stack.kafka_credentials_file().exists() and not os.environ.get("KAFKA_BOOTSTRAP"):
        # SASL/SCRAM: each principal's password (admin, meetings, issues, notify, ops) is in here.
        print(f"KAFKA_CREDENTIALS={stack.kafka_credentials_file()}")
    print(f"MONGO_URI={state.mongo_uri}")
    for name, url in state.urls.items():
        print(f"{name.upper()}_URL={url}")
        if replicas > 1:
            print(f"{name.upper()}_URLS={','.join(state.replica_urls(name))}")
    if state.portal_url:
        # The web console (工作台): open it in a browser; sign in with the picker at /login.
        print(f"PORTAL_URL={state.portal_url}")


@app.command()
def down() -> None:
    """Stop everything `up` started."""
    stopped = stack.down(say=_say)
    console.print(f"stopped {stopped} process(es)")


@app.command()
def status() -> None:
    """Say what runs."""
    rows = stack.status()
    if not rows:
        console.print("fourx stack is not running (`make up` starts it)")
        raise typer.Exit(1)
    table = Table("component", "pid", "address", "state")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if any(r[3] == "stopped" for r in rows):
        raise typer.Exit(1)


DISTRICT_HELP = ("id of the demo district; once played, each later run plays the next fresh one "
                 "(ID-2, ID-3, …) so the month can be shown again")


@app.command()
def demo(district: Annotated[str, typer.Option(help=DISTRICT_HELP)] = "demo-gulou") -> None:
    """Drive a fresh demo district's month through the running stack and print the weekly bulletin."""
    from fourx_local.demo.context import DemoContext
    from fourx_local.demo.failure import DemoFailed
    from fourx_local.demo.run import run_demo

    state = stack.StackState.load(stack.state_file())
    if state is None:
        console.print("[red]the stack is not running: run `make up` first[/]")
        raise typer.Exit(2)
    # The demo asks for its bulletin as an operator would: the `ops` principal.
    ctx = DemoContext(district=district, urls=state.urls, kafka_bootstrap=state.kafka_bootstrap, console=console,
                      kafka=stack.kafka_settings(state.kafka_bootstrap, "ops"))
    try:
        asyncio.run(run_demo(ctx))
    except DemoFailed as failed:
        # One plain line (no rich wrapping, no traceback): the step and the reason.
        print(failed, file=sys.stderr, flush=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        print(f"演示已中断（演示区 {ctx.district}）", file=sys.stderr, flush=True)
        raise typer.Exit(130) from None
    if state.portal_url:
        from fourx_local.demo.console import sign_in_links

        console.rule("工作台：以演示中的身份登录")
        for label, url in sign_in_links(ctx, state.portal_url):
            print(f"{label}：{url}")


@app.command()
def run(district: Annotated[str, typer.Option(help=DISTRICT_HELP)] = "demo-gulou") -> None:
    """The main job in one go: stack up, a fresh demo district's month, the bulletin, stack down."""
    played = False
    try:
        up()
        demo(district)
        played = True
    finally:
        # Quietly, on stderr: the output ends with the bulletin.
        stopped = stack.down(say=lambda _m: None)
        Console(stderr=True).print(f"[dim]stack stopped ({stopped} processes)[/]")
        if played:  # the demo's sign-in links need a running stack, and `run` has just stopped it
            Console(stderr=True).print("[dim]上面的工作台链接需要运行中的环境：请执行 make up && make demo 后再打开[/]")


@app.command()
def token(
    role: Annotated[list[str], typer.Option(help="role(s), e.g. party_office; city_org_dept for a city token")],
    district: Annotated[str | None, typer.Option(help="district the token is for")] = None,
    city: Annotated[str | None, typer.Option(help="city (市) of a city-level token (no district)")] = None,
    person: Annotated[str, typer.Option(help="person id (a person of the district's directory)")] = "dev",
) -> None:
    """Print a bearer token signed with the local stack's own key (made on the first `up`).
    A district token (--district): the person must be in the district's directory and hold the
    role there; operators are the subjects in FOURX_AUTH_OPERATORS (the local stack's:
    demo-operator). A city token (--city, role city_org_dept): reads the figures of the
    districts whose directory names that city, and nothing else."""
    from fourx_local.tokens import issue_token

    if (district is None) == (city is None):
        console.print("[red]give --district (a district token) or --city (a city token), one of them[/]")
        raise typer.Exit(2)
    print(issue_token(person, district, role, city=city))


@app.command()
def outcomes(
    district: Annotated[str, typer.Option(help="the district")],
    period: Annotated[str, typer.Option(help="2026-11 (month), 2026-Q4 (quarter), 2026 (year), 2026-ytd")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object: the figures, nothing else")] = False,
    summary: Annotated[Path | None, typer.Option(help="also save the period summary (工作总结, .docx) here")] = None,
    person: Annotated[str, typer.Option(help="ask as this person of the district (default: the stack's operator)")] = "",
    role: Annotated[list[str], typer.Option(help="with --person: their role(s)")] = [],  # noqa: B006 (typer reads it)
) -> None:
    """The district's outcome figures for a period, from the running stack's notify service
    (GET /districts/{district}/outcomes, with a token signed by the stack's own key)."""
    import json

    import httpx

    from fourx_local.tokens import DEMO_OPERATOR, issue_token
    from fourx_contracts.vocabulary import OUTCOME_FIGURE_LABELS as FIGURE_LABELS, OUTCOME_FIGURES as FIGURE_KEYS

    state = stack.StackState.load(stack.state_file())
    if state is None or "notify" not in state.urls:
        console.print("[red]the stack is not running: run `make up` first[/]")
        raise typer.Exit(2)
    token = issue_token(person or DEMO_OPERATOR, district, role or (["party_office"] if person else []))
    headers = {"Authorization": f"Bearer {token}"}
    base = state.urls["notify"]
    try:
        response = httpx.get(f"{base}/districts/{district}/outcomes", params={"period": period}, headers=headers,
                             timeout=60)
        if response.status_code == 200 and summary is not None:
            docx = httpx.get(f"{base}/districts/{district}/outcomes/summary.docx", params={"period": period},
                             headers=headers, timeout=60)
            docx.raise_for_status()
            summary.write_bytes(docx.content)
    except httpx.HTTPError as exc:
        print(f"查询失败：{exc}", file=sys.stderr, flush=True)
        raise typer.Exit(1) from None
    if response.status_code != 200:
        print(f"查询失败：GET /districts/{district}/outcomes → {response.status_code}：{response.text[:300]}",
              file=sys.stderr, flush=True)
        raise typer.Exit(1)
    body = response.json()
    figures = body["figures"]
    if as_json:
        print(json.dumps({key: figures[key] for key in FIGURE_KEYS}, ensure_ascii=False))
        return
    table = Table(title=f"{district} 成效数据（{body['label']}，{body['from']} 至 {body['to']}）")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    for key in FIGURE_KEYS:
        table.add_row(FIGURE_LABELS[key], str(figures[key]))
    console.print(table)
    if summary is not None:
        console.print(f"工作总结已保存：{summary}")


@app.command("kafka-env")
def kafka_env(principal: Annotated[str, typer.Argument(help="admin, meetings, issues, notify or ops")] = "admin") -> None:
    """Print the KAFKA_… lines a process needs to reach the running stack's broker as `principal`
    (e.g. `eval $(uv run fourx-dev kafka-env meetings)` before a meetings CLI command)."""
    state = stack.StackState.load(stack.state_file())
    if state is None:
        console.print("[red]the stack is not running: run `make up` first[/]")
        raise typer.Exit(2)
    for name, value in stack.kafka_settings(state.kafka_bootstrap, principal).env().items():
        print(f"export {name}={shlex.quote(value)}")


@app.command("kafka-acls")
def kafka_acls(apply: Annotated[bool, typer.Option(help="create topics and ACLs (as the KAFKA_… admin)")] = False) -> None:
    """List the ACLs each fourx principal needs; with --apply, create the topics (where missing)
    and the ACLs on the broker the KAFKA_… environment names (existing ones are left alone)."""
    from fourx_platform.kafka_acl import all_acls, ensure_acls
    from fourx_platform.kafka import KafkaSettings, ensure_topics

    for entry in all_acls():
        print(entry)
    if apply:
        admin = KafkaSettings()

        async def setup() -> tuple[list[str], int]:
            return await ensure_topics(admin), await ensure_acls(admin)

        created, entries = asyncio.run(setup())
        console.print(f"created {len(created)} topic(s); {entries} ACL entries in place")


@app.command()
def asyncapi(check: Annotated[bool, typer.Option(help="exit 1 if docs/asyncapi.json is stale; write nothing")] = False,
             service: Annotated[str | None, typer.Option(help="print one service's part instead")] = None) -> None:
    """Regenerate docs/asyncapi.json, the event catalog as AsyncAPI 3.0, from the code
    (fourx_platform.asyncapi); `--service notify` prints what `GET /asyncapi` serves."""
    from fourx_local.paths import repo_root
    from fourx_platform import asyncapi as generator

    if service is not None:
        raise typer.Exit(generator.main(["--service", service]))
    target = repo_root() / "docs" / "asyncapi.json"
    code = generator.main(["--output", str(target), *(["--check"] if check else [])])
    if code == 0 and not check:
        console.print(f"wrote {target.relative_to(repo_root())}")
    raise typer.Exit(code)


@app.command("error-codes")
def error_codes(check: Annotated[bool, typer.Option(help="exit 1 if docs/error-codes.json is stale; write nothing")] = False) -> None:
    """Regenerate docs/error-codes.json (every API error code and its Chinese message, what
    the web console shows) from fourx_platform.error_codes."""
    from fourx_local.paths import repo_root
    from fourx_platform import error_codes as catalog

    target = repo_root() / "docs" / "error-codes.json"
    code = catalog.main(["--output", str(target), *(["--check"] if check else [])])
    if code == 0 and not check:
        console.print(f"wrote {target.relative_to(repo_root())}")
    raise typer.Exit(code)


@app.command()
def seed(
    districts: Annotated[int, typer.Option(help="how many districts", min=1)] = 100,
    weeks: Annotated[int, typer.Option(help="how many weeks of their work", min=0)] = 1,
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same events, byte for byte")] = 1,
    start: Annotated[str, typer.Option(help="Monday of the first week (YYYY-MM-DD; default 2025-06-02)")] = "",
    out: Annotated[Path | None, typer.Option(help="write the events here, one CloudEvent per line (JSON Lines)")] = None,
    kafka: Annotated[bool, typer.Option("--kafka", help="publish to the running stack's Kafka (or KAFKA_…) as admin")] = False,
) -> None:
    """Generate N districts' weeks of work as the catalog's real events (the load generator)."""
    import time
    from datetime import date, timedelta

    from fourx_local.seed import DEFAULT_START, generate
    from fourx_local.seed.sinks import publish, write_jsonl

    if (out is None) == (not kafka):
        console.print("[red]say where the events go: --out FILE.jsonl or --kafka[/]")
        raise typer.Exit(2)
    try:
        monday = date.fromisoformat(start) if start else DEFAULT_START
        if monday + timedelta(days=7 * weeks) > date.today() + timedelta(days=1):
            raise ValueError(f"{weeks} week(s) from {monday} reach into the future: consumers refuse events "
                             "dated more than a day ahead (pick an earlier --start)")
        events = generate(districts, weeks, seed, monday)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    started = time.perf_counter()
    if out is not None:
        count = write_jsonl(events, out)
        where = str(out)
    else:
        settings = _seed_kafka()
        count = asyncio.run(publish(events, settings))
        where = f"Kafka {settings.bootstrap}"
    elapsed = time.perf_counter() - started
    print(f"seed: districts={districts} weeks={weeks} seed={seed} events={count} to {where} "
          f"in {elapsed:.1f}s ({count / max(elapsed, 1e-9):,.0f}/s)")


def _seed_kafka():
    from fourx_platform.kafka import KafkaSettings

    if os.environ.get("KAFKA_BOOTSTRAP"):
        return KafkaSettings()
    state = stack.StackState.load(stack.state_file())
    if state is None:
        console.print("[red]the stack is not running: run `make up` first (or set KAFKA_BOOTSTRAP)[/]")
        raise typer.Exit(2)
    # Seeding writes every producer's topics: only the admin principal may.
    return stack.kafka_settings(state.kafka_bootstrap, "admin")


@app.command("setup-web")
def setup_web(force: Annotated[bool, typer.Option(help="build even when dist/ is up to date")] = False,
              browser: Annotated[bool, typer.Option(help="install Debian's chromium and CJK fonts where missing")] = True,
              ) -> None:
    """Build the web console (npm ci + npm run build in web/console, when its sources changed
    or dist/ is missing) and make sure the browser tests' Chromium is installed."""
    from fourx_local.webapp import WebSetupError, build_console, ensure_browser

    try:
        build_console(_say, force=force)
        if browser:
            ensure_browser(_say)
    except WebSetupError as exc:
        print(f"setup-web: {exc}", file=sys.stderr, flush=True)
        raise typer.Exit(1) from None


@app.command("fetch-kafka")
def fetch_kafka() -> None:
    """Fetch the Kafka broker's jars from Maven Central into the cache (once)."""
    from fourx_local.kafka import kafka_libs

    console.print(f"Kafka jars in {kafka_libs()}")


# The operator's commands (watch, trace, dlq, lag): the fourx-ops package's, unchanged.
register_ops_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
