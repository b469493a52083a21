"""``timpora``: the command line of the TIMPORA data platform.

Run ``timpora --help`` for the verbs. Airflow is imported only by the commands that run
DAGs, after the embedded Airflow configuration is in place.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from timpora.config import ConfigError, environment_overrides, get_settings
from timpora.terminal import cells, json_safe, safe_lines, safe_text

app = typer.Typer(
    help="TIMPORA data platform: visas, stay permits and lodging reports reconciled into flags.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
flags_app = typer.Typer(help="List and export flags.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Rows and files that failed the feed contracts.", no_args_is_help=True)
db_app = typer.Typer(help="The warehouse schema.", no_args_is_help=True)
app.add_typer(flags_app, name="flags")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(db_app, name="db")
review_app = typer.Typer(help="The review queue.", no_args_is_help=True)
app.add_typer(review_app, name="review")
audit_app = typer.Typer(help="The review app's audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

# Piped output is not a terminal; Rich would then assume 80 columns and fold every table.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> None:
    err.print("[bold red]error:[/]", Text(safe_text(message)))
    raise typer.Exit(code=2)


def _say(*values: Any) -> None:
    """Print data (feed values, file names, reasons): escaped, never read as markup."""
    console.print(*(Text(safe_text(value)) for value in values), soft_wrap=True)


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{value!r} is not a date (YYYY-MM-DD)")
        raise


def _quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("great_expectations", "airflow", "sqlalchemy", "alembic"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


@app.callback()
def main() -> None:
    """Check the configuration once, so a bad variable is reported as such."""
    try:
        get_settings()
    except ConfigError as exc:
        _fail(str(exc))


# --- data ------------------------------------------------------------------------------------


@app.command()
def generate(
    day: Annotated[str, typer.Option("--date", help="landing day")] = "2024-10-03",
    province: Annotated[str, typer.Option(help="Kemendagri province code")] = "16",
    regency: Annotated[list[str] | None, typer.Option(help="regency/city codes of the lodgings (repeat)")] = None,
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same files")] = 7,
    stays: Annotated[int, typer.Option(help="size knob: number of lodging stays (>= 120)")] = 300,
    out: Annotated[Path | None, typer.Option(help="landing folder (default: the configured one)")] = None,
    truth: Annotated[Path | None, typer.Option(help="ground-truth file (default: data/truth/...)")] = None,
    days: Annotated[
        int, typer.Option(help="consecutive days from --date (guests checked in on one check out on a later one)")
    ] = 1,
) -> None:
    """Write realistic landing days of all three feeds, with planted cases of every rule."""
    from timpora.generator import generate_day, generate_days

    settings = get_settings()
    when = _parse_day(day)
    landing = out or settings.landing_dir
    truth_path = truth or settings.data_dir / "truth" / f"ground_truth_{when:%Y%m%d}.json"
    try:
        if days > 1:
            results = generate_days(landing, truth_path.parent, when, days, province, regency, seed, stays)
            for number, result in enumerate(results):
                console.print(
                    f"Day {when + timedelta(days=number)}: {len(result['files'])} files, "
                    f"{len(result['generator']['continues'])} stays continued from the day before"
                )
            console.print(f"Ground truth, one file per day: {truth_path.parent}")
            return
        result = generate_day(landing, truth_path, when, province, regency, seed, stays)
    except ValueError as exc:
        _fail(str(exc))
        return
    totals = result["totals"]
    console.print(
        f"Wrote {len(result['files'])} files under [bold]{landing}[/]: {totals['hotel_events']} hotel "
        f"events, {totals['permits']} permit rows, {totals['visas']} visa rows."
    )
    console.print(
        f"Ground truth ({len(result['planted'])} planted cases, {len(result['negatives'])} look-alikes): {truth_path}"
    )


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending warehouse migrations and load reference data (as the schema's owner:
    TIMPORA_WAREHOUSE_OWNER_URL, else TIMPORA_WAREHOUSE_URL)."""
    from timpora.warehouse.db import owner_engine
    from timpora.warehouse.migrate import migrate

    applied = migrate(owner_engine())
    console.print(f"Applied migrations: {applied or 'none (up to date)'}")


@db_app.command("runtime-login")
def db_runtime_login(
    name: Annotated[str, typer.Argument(help="the login the app and the DAG tasks connect as")],
    password: Annotated[
        str | None, typer.Option(envvar="TIMPORA_WAREHOUSE_APP_PASSWORD", hidden=True, help="its password")
    ] = None,
) -> None:
    """Create (or reset) a PostgreSQL login granted the runtime role and nothing else, as
    the owner (TIMPORA_WAREHOUSE_OWNER_URL). Password: TIMPORA_WAREHOUSE_APP_PASSWORD or a prompt."""
    import re as regex

    from timpora.warehouse.db import owner_engine, run_sql, transaction

    engine = owner_engine()
    if engine.dialect.name != "postgresql":
        _fail("runtime logins are PostgreSQL's: SQLite has no roles")
    if not regex.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        _fail("a login name is lower-case letters, digits and underscores")
    password = password or typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    with transaction(engine) as conn:
        run_sql(conn, "security/runtime_login", {"login_name": name, "login_password": password})
    console.print(f"Login {name}: member of timpora_runtime (reads and writes rows, owns nothing)")


@db_app.command("dictionary")
def db_dictionary(
    output: Annotated[Path, typer.Option(help="where to write it")] = Path("docs/DATA_DICTIONARY.md"),
) -> None:
    """Write the data dictionary (tables, columns, analyst views) generated from the schema."""
    from timpora.warehouse.dictionary import generate

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(generate(), encoding="utf-8")
    console.print(f"Data dictionary written to {output}")


@app.command()
def demo(
    stays: Annotated[int, typer.Option(help="size of the generated day")] = 300,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    fresh: Annotated[bool, typer.Option(help="start from an empty data directory")] = False,
) -> None:
    """Generate the demo day, run the real DAGs over it with Airflow, and list the flags."""
    _quiet_logs()
    import shutil

    from timpora.generator import DEFAULT_DAY, generate_day
    from timpora.landing.store import landing_store
    from timpora.runner import prepare_airflow, run_landing
    from timpora.warehouse.db import owner_engine
    from timpora.warehouse.migrate import migrate

    settings = get_settings()
    if fresh and settings.data_dir.exists() and settings.environment == "embedded":
        shutil.rmtree(settings.data_dir)
    started = time.monotonic()
    truth_path = settings.data_dir / "truth" / f"ground_truth_{DEFAULT_DAY:%Y%m%d}.json"
    prefix_day = f"{DEFAULT_DAY:%Y/%m/%d}"
    store = landing_store(settings)
    keys = [obj.key for obj in store.list_objects() if f"/{prefix_day}/" in obj.key]
    if not keys:
        console.print(f"Generating the demo day {DEFAULT_DAY} (province 16: Kota Palembang, Kota Pagar Alam)…")
        if settings.landing_backend == "local":
            generate_day(settings.landing_dir, truth_path, DEFAULT_DAY, seed=seed, stays=stays)
        else:
            staging = settings.work_dir / "demo-landing"
            generate_day(staging, truth_path, DEFAULT_DAY, seed=seed, stays=stays)
            for path in sorted(p for p in staging.rglob("*") if p.is_file()):
                store.put_file(path.relative_to(staging).as_posix(), path)
        keys = [obj.key for obj in store.list_objects() if f"/{prefix_day}/" in obj.key]
    console.print(f"Landing zone: {store.describe()} ({len(keys)} files)")
    migrate(owner_engine(settings))
    from timpora.review.service import DEMO_PASSWORD, ensure_demo_users

    # The users exist before the reconcile, so its notify task tells them of the day's flags.
    created = ensure_demo_users(settings)
    console.print("Preparing Airflow (metadata database, DAGs)…")
    prepare_airflow(settings)
    console.print("Running ingest_visa, ingest_stay_permit, ingest_hotel_guest, then reconcile…")
    outcome = run_landing(keys, settings)
    for dag_id, state in outcome.dag_runs:
        console.print(f"  {dag_id}: {state}")
    _print_flags(limit=40)
    if created:
        console.print(
            f"Review app users (province 16): demo-reviewer, demo-supervisor, demo-analyst, demo-admin; "
            f"password {DEMO_PASSWORD}"
        )
    _print_next_steps(settings, time.monotonic() - started, truth_path)


@app.command()
def replay(
    folder: Annotated[Path, typer.Argument(help="a landing folder laid out as <feed>/YYYY/MM/DD/<file>")],
    day: Annotated[str | None, typer.Option("--date", help="only this landing day (YYYY-MM-DD)")] = None,
    full: Annotated[bool, typer.Option(help="re-examine everyone in the reconcile")] = False,
) -> None:
    """Run the ingest DAGs over your own landing folder, then reconcile (backfill or replay)."""
    _quiet_logs()
    from timpora.landing.store import FolderLandingStore
    from timpora.runner import DagRunFailed, folder_lock, prepare_airflow, run_landing
    from timpora.warehouse.db import owner_engine
    from timpora.warehouse.migrate import migrate

    if not folder.is_dir():
        _fail(f"{folder} is not a folder")
    with environment_overrides(landing_dir=str(folder.resolve()), landing_backend="local") as settings:
        store = FolderLandingStore(settings.landing_dir)
        keys = [obj.key for obj in store.list_objects()]
        if day:
            wanted = f"/{_parse_day(day):%Y/%m/%d}/"
            keys = [key for key in keys if wanted in key]
        if not keys:
            _fail(f"no files under {folder}" + (f" for {day}" if day else ""))
        # One replay at a time per data folder: a second one waits, then finds the work done.
        with folder_lock(settings.data_dir / ".replay.lock", "another replay is running on this data folder: waiting"):
            migrate(owner_engine(settings))
            prepare_airflow(settings)
            try:
                outcome = run_landing(keys, settings, full_reconcile=full)
            except DagRunFailed as failed:
                _print_ledger(keys)
                _fail(f"{failed}: see the ledger above and Airflow's task logs under {settings.airflow_home}")
                return
        for key, why in outcome.skipped_keys.items():
            err.print("[yellow]rejected[/]", Text(f"{safe_text(key)}: {safe_text(why)}"))
        for dag_id, state in outcome.dag_runs:
            console.print(f"  {dag_id}: {state}")
        _print_ledger(keys)
        _print_flags(limit=20)


@app.command()
def reconcile(full: Annotated[bool, typer.Option(help="re-examine everyone")] = False) -> None:
    """Run the reconcile step directly (without Airflow)."""
    from timpora.reconcile.engine import reconcile as run

    console.print_json(json.dumps(run(full=full).as_dict()))


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Argument(help="the generator's ground-truth file (truth.json)")],
    output: Annotated[Path | None, typer.Option(help="also write the figures as JSON here")] = None,
) -> None:
    """Per-rule precision/recall and identity-linking quality against a generated day's truth."""
    from timpora.evaluation import linking_quality, rule_quality
    from timpora.warehouse.db import warehouse_engine

    if not truth.is_file():
        _fail(f"{truth} does not exist: `timpora generate` or `timpora demo` writes one")
    try:
        expected = json.loads(truth.read_text(encoding="utf-8"))
        expected["planted"], expected["stays"]
    except (ValueError, KeyError, TypeError):
        _fail(f"{truth} is not a ground-truth file of `timpora generate`")
    engine = warehouse_engine(get_settings())
    rules = [q.as_dict() for q in rule_quality(engine, expected)]
    links = [q.as_dict() for q in linking_quality(engine, expected)]
    for title, rows in (("Rules: planted cases against flags", rules), ("Identity linking", links)):
        table = Table(title=title)
        for column in ("", "expected", "found", "TP", "FP", "FN", "precision", "recall"):
            table.add_column(column, justify="left" if not column else "right")
        for row in rows:
            table.add_row(
                *cells(
                    row["name"],
                    str(row["expected"]),
                    str(row["found"]),
                    str(row["true_positives"]),
                    str(row["false_positives"]),
                    str(row["false_negatives"]),
                    f"{row['precision']:.4f}",
                    f"{row['recall']:.4f}",
                )
            )
        console.print(table)
    for row in rules + links:
        for example in row["false_positive_examples"]:
            console.print(Text(f"  {row['name']}", style="yellow"), Text("unexpected: " + safe_text(example)))
        for example in row["false_negative_examples"]:
            console.print(Text(f"  {row['name']}", style="red"), Text("missed: " + safe_text(example)))
    if output:
        output.write_text(json.dumps({"rules": rules, "identity_links": links}, indent=1), encoding="utf-8")


# --- flags -----------------------------------------------------------------------------------


def _print_flags(
    limit: int | None = 40, rule: str | None = None, status: str | None = None, region: str | None = None
) -> None:
    from timpora.flags.queries import list_flags

    frame = list_flags(rule_code=rule, status=status, region_prefix=region)
    counts = frame.groupby("rule_code").size().to_dict() if len(frame) else {}
    table = Table(title=f"Flags ({len(frame)}" + (f", showing {min(limit, len(frame))}" if limit else "") + ")")
    for column in ("flag", "rule", "severity", "priority", "status", "passport", "nat.", "region", "nights", "reports"):
        table.add_column(column, no_wrap=True)
    shown = frame.head(limit) if limit else frame
    for row in shown.itertuples():
        nights = f"{str(row.first_night)[:10]} → {str(row.last_night)[:10]}" if row.first_night else "-"
        table.add_row(
            *cells(
                row.flag_id,
                row.rule_code,
                row.severity,
                str(row.priority),
                row.status,
                row.passport_number,
                row.nationality or "",
                row.region_code,
                nights,
                ", ".join(json.loads(row.report_ids)),
            )
        )
    console.print(table)
    for row in shown.head(5).itertuples():
        console.print(Text(row.flag_id, style="bold"), Text(safe_text(row.reason_id)))
        console.print(Text("  " + safe_text(row.reason_en), style="dim"))
    if len(shown) > 5:
        console.print(f"[dim]… reasons of the other flags: {_command()} flags export --format jsonl[/]")
    if counts:
        console.print("By rule: " + ", ".join(f"{rule_code} {count}" for rule_code, count in sorted(counts.items())))


def _command(name: str = "timpora") -> str:
    """How this shell runs ``timpora`` (or another command of its virtual environment)
    again: by name when that is on the PATH, else by its path (``.venv/bin/timpora``)."""
    import shutil

    found = Path(sys.executable).parent / name
    if not found.exists() or shutil.which(name) == str(found):
        return name
    try:
        return str(found.relative_to(Path.cwd()))
    except ValueError:
        return str(found)


def _print_next_steps(settings: object, seconds: float, truth_path: Path) -> None:
    s = get_settings()
    timpora = _command()
    airflow = _command("airflow")
    console.print(f"\n[bold green]Done in {seconds:.0f} s.[/] Where to look next:")
    console.print(f"  • every flag as JSON Lines:     {timpora} flags export --format jsonl --output flags.jsonl")
    console.print(f"  • quarantined rows and reasons: {timpora} quarantine list")
    console.print(f"  • Great Expectations Data Docs: {s.gx_dir / 'gx/uncommitted/data_docs/local_site/index.html'}")
    console.print(f"  • the warehouse (SQLite):       {s.warehouse_url.removeprefix('sqlite:///')}")
    console.print(f"  • what was planted:             {truth_path}")
    console.print(f"  • precision and recall:         {timpora} evaluate {truth_path}")
    console.print(f"  • the review queue:             {timpora} review serve  →  http://127.0.0.1:8000/")
    console.print(f"  • Airflow's record of the runs: AIRFLOW_HOME={s.airflow_home} {airflow} dags list-runs reconcile")


@flags_app.command("list")
def flags_list(
    rule: Annotated[str | None, typer.Option(help="rule code")] = None,
    status: Annotated[str | None, typer.Option(help="OPEN, IN_REVIEW, CLOSED, CLEARED, REOPENED")] = None,
    region: Annotated[str | None, typer.Option(help="region code or province prefix, e.g. 16 or 16.71")] = None,
    limit: Annotated[int, typer.Option(help="rows to show")] = 50,
) -> None:
    """Flags, highest priority first."""
    _print_flags(limit=limit, rule=rule, status=status, region=region)


@flags_app.command("export")
def flags_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl, json or csv")] = "jsonl",
    output: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    rule: Annotated[str | None, typer.Option(help="rule code")] = None,
    status: Annotated[str | None, typer.Option(help="flag status")] = None,
    region: Annotated[str | None, typer.Option(help="region code or province prefix")] = None,
) -> None:
    """Export flags with their reasons (Bahasa Indonesia and English) and evidence."""
    from timpora.flags.queries import EXPORT_FORMATS, export_flags, list_flags

    if fmt not in EXPORT_FORMATS:
        _fail(f"--format must be one of {', '.join(EXPORT_FORMATS)}")
    text = export_flags(list_flags(rule_code=rule, status=status, region_prefix=region), fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        _write_out(text, fmt)


# --- quarantine and ledger -------------------------------------------------------------------


def _write_out(text: str, fmt: str) -> None:
    """An export on standard output: JSON with its controls as escapes, other formats
    with them made visible, so a terminal never runs what a feed sent."""
    if fmt in ("json", "jsonl"):
        sys.stdout.write(json_safe(text))
    else:
        sys.stdout.write(safe_lines(text))


def _count(value: Any) -> str:
    """A ledger count as a whole number, or ``-`` when there is none (missing comes back NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return str(int(value))


def _print_ledger(keys: list[str] | None = None) -> None:
    from timpora.ingest.reports import ledger_frame

    frame = ledger_frame(keys)
    table = Table(title="File ledger")
    for column in ("file", "status", "read", "loaded", "quarantined", "duplicates", "note"):
        table.add_column(column, overflow="fold")
    for row in frame.itertuples():
        table.add_row(
            *cells(
                row.object_key,
                row.status,
                *(_count(v) for v in (row.rows_read, row.rows_loaded, row.rows_quarantined, row.rows_duplicate)),
                row.note,
            )
        )
    console.print(table)


@app.command()
def ledger() -> None:
    """Every landed file: status and row counts (read = loaded + quarantined + duplicates)."""
    _print_ledger()


@quarantine_app.command("list")
def quarantine_list(
    file: Annotated[str | None, typer.Option("--file", help="landing key of one file")] = None,
    limit: Annotated[int, typer.Option(help="rows to show")] = 50,
) -> None:
    """Quarantined rows with their reasons, by file."""
    from timpora.ingest.reports import quarantine_frame

    frame = quarantine_frame(file)
    console.print("[bold]Quarantine[/]:", Text(f"{len(frame)} entries" + (f" of {safe_text(file)}" if file else "")))
    for row in frame.head(limit).itertuples():
        where = "the whole file" if row.scope == "file" else f"line {row.line_no}"
        console.print(Text("\n" + safe_text(row.object_key), style="bold"), Text(where), soft_wrap=True)
        for item in json.loads(str(row.reasons)):
            value = f" ({item['value']!r})" if item.get("value") is not None else ""
            _say(f"  {item.get('column') or item['check']}: {item['message_en']}{value}")
        if row.raw:
            _say(f"  raw: {str(row.raw)[:300]}")
    if len(frame) > limit:
        console.print(f"\n… {len(frame) - limit} more: timpora quarantine export")


@quarantine_app.command("export")
def quarantine_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    file: Annotated[str | None, typer.Option("--file", help="landing key of one file")] = None,
    output: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
) -> None:
    """Export quarantined rows (raw row, every reason) for the upstream system's owners."""
    from timpora.ingest.reports import export_quarantine, quarantine_frame

    try:
        text = export_quarantine(quarantine_frame(file), fmt)
    except ValueError as exc:
        _fail(str(exc))
        return
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        _write_out(text, fmt)


def _reviewer(username: str, password: str | None) -> Any:
    """The acting reviewer; without --password (or TIMPORA_REVIEW_PASSWORD), a hidden prompt."""
    from timpora.review import service as svc

    password = password or typer.prompt(f"Password for {username}", hide_input=True)
    user = _review_call(lambda: svc.authenticate(username, password))
    if user is None:
        _fail(f"wrong username or password for {safe_text(username)!r}")
    global _acting
    _acting = user
    return user


_acting: Any = None


def _review_call(action: Any) -> Any:
    """A review operation; its refusal is printed (and, for a 403 or 404, audited as the
    web app audits it)."""
    from timpora.review import service as svc

    try:
        return action()
    except svc.ReviewError as exc:
        if exc.status in (403, 404) and _acting is not None:
            svc.record_denied(_acting, "NOT_FOUND" if exc.status == 404 else "ACCESS_DENIED", {"cli": str(exc)[:200]})
        _fail(safe_text(str(exc)))


UserOption = Annotated[
    str, typer.Option("--user", "-u", help="act as this reviewer (password: TIMPORA_REVIEW_PASSWORD or prompt)")
]
FlagArgument = Annotated[str, typer.Argument(help="flag id")]
# Typer reads the variable for the option; scripts set it instead of typing a password.
PasswordOption = Annotated[
    str | None,
    typer.Option(envvar="TIMPORA_REVIEW_PASSWORD", hidden=True, help="the acting user's password"),
]


@review_app.command("notify")
def review_notify() -> None:
    """Release idle claims, notify reviewers of new HIGH flags and flags in monitoring
    windows, escalate deadline breaches to supervisors, and send the e-mails (the
    reconcile DAG does this after every run; this is for cron or by hand)."""
    from timpora.review import notify
    from timpora.warehouse.migrate import ensure_migrated

    ensure_migrated()
    console.print(notify.run().as_dict())


@review_app.command("user")
def review_user(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str | None, typer.Option(help="reviewer, supervisor, analyst or admin")] = None,
    region: Annotated[str | None, typer.Option(help="region scope: a province (16) or regency/city (16.71)")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    language: Annotated[str, typer.Option(help="id or en")] = "id",
    email: Annotated[str | None, typer.Option(help="where notifications are e-mailed (none: in the app only)")] = None,
    digest: Annotated[bool, typer.Option(help="one notification e-mail per reconcile run, not one per flag")] = False,
    deactivate: Annotated[bool, typer.Option(help="deactivate the user and end every session they have")] = False,
    password: Annotated[
        str | None, typer.Option(envvar="TIMPORA_NEW_PASSWORD", hidden=True, help="the new password")
    ] = None,
) -> None:
    """Create a user, reset one's password, role and scope (ending their sessions), or
    --deactivate one. Password: TIMPORA_NEW_PASSWORD or a prompt; at least 12 characters,
    not a common password, not containing the user name."""
    from timpora.review import service as svc
    from timpora.warehouse.migrate import ensure_migrated

    ensure_migrated()
    if deactivate:
        ended = _review_call(lambda: svc.deactivate_user(username))
        console.print(f"User {username}: deactivated, {ended} session(s) ended")
        return
    if not role or not region:
        _fail("--role and --region are needed to create or reset a user")
        return
    password = password or typer.prompt(f"New password for {username}", hide_input=True, confirmation_prompt=True)
    _review_call(
        lambda: svc.save_user(username, password, role, region, name, language, email=email, notify_digest=digest)
    )
    console.print(f"User {username}: {role}, region {region} (any earlier sessions ended)")


@review_app.command("list")
def review_list(
    user: UserOption,
    rule: Annotated[str | None, typer.Option(help="rule code")] = None,
    status: Annotated[str | None, typer.Option(help="status")] = None,
    region: Annotated[str | None, typer.Option(help="region code within your scope")] = None,
    mine: Annotated[bool, typer.Option(help="only flags you hold")] = False,
    limit: Annotated[int, typer.Option(help="rows")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table")] = False,
    password: PasswordOption = None,
) -> None:
    """The queue of your region, highest priority first."""
    from timpora.review import service as svc

    reviewer = _reviewer(user, password)
    query = svc.QueueFilter(
        rule_code=rule, status=status, region=region, assignee=user if mine else None, page_size=min(limit, 200)
    )
    page = _review_call(lambda: svc.queue(reviewer, query))
    if as_json:
        for flag in page["flags"]:
            sys.stdout.write(json_safe(json.dumps(flag, ensure_ascii=False)) + "\n")
        return
    table = Table(title=f"Queue {reviewer.region_scope}: {page['total']} flags")
    for column in ("flag", "rule", "severity", "priority", "status", "holder", "passport", "region"):
        table.add_column(column, no_wrap=True)
    for flag in page["flags"]:
        table.add_row(
            *cells(
                flag["flag_id"],
                flag["rule_code"],
                flag["severity"],
                str(flag["priority"]),
                flag["status"],
                flag["assignee"] or "",
                flag["passport_number"],
                flag["region_code"],
            )
        )
    console.print(table)


@review_app.command("claim")
def review_claim(user: UserOption, flag_id: FlagArgument, password: PasswordOption = None) -> None:
    """Take a flag (nobody else can hold it)."""
    from timpora.review import service as svc

    reviewer = _reviewer(user, password)
    _review_call(lambda: svc.claim(reviewer, flag_id))
    console.print(f"{flag_id}: claimed by {user}")


@review_app.command("comment")
def review_comment(
    user: UserOption,
    flag_id: Annotated[str, typer.Argument()],
    text: Annotated[str, typer.Argument()],
    password: PasswordOption = None,
) -> None:
    """Comment on a flag."""
    from timpora.review import service as svc

    reviewer = _reviewer(user, password)
    _review_call(lambda: svc.comment(reviewer, flag_id, text))
    console.print(f"{flag_id}: comment added")


@review_app.command("close")
def review_close(
    user: UserOption,
    flag_ids: Annotated[list[str], typer.Argument(help="one flag, or several (supervisors: bulk-close)")],
    disposition: Annotated[
        str, typer.Option(help="CONFIRMED_VIOLATION, FALSE_POSITIVE, WARNING_ISSUED, REFERRED_FOR_ACTION")
    ],
    note: Annotated[str, typer.Option(help="why (required)")],
    override_holds: Annotated[bool, typer.Option(help="supervisors: also close flags another reviewer holds")] = False,
    password: PasswordOption = None,
) -> None:
    """Close flags with a disposition and a note; each flag's outcome is printed (exit 1
    when one was not closed)."""
    from timpora.review import service as svc

    reviewer = _reviewer(user, password)
    results = _review_call(lambda: svc.close_many(reviewer, flag_ids, disposition, note, override_holds))
    closed = [r["flag_id"] for r in results if r["outcome"] == svc.CLOSED]
    for result in results:
        _say(f"{result['flag_id']}: {result['message_en']}")
    console.print(f"closed {len(closed)} of {len(results)} ({disposition})")
    if len(closed) < len(results):
        raise typer.Exit(code=1)


@review_app.command("reopen")
def review_reopen(
    user: UserOption,
    flag_id: Annotated[str, typer.Argument()],
    note: Annotated[str, typer.Option(help="why")],
    password: PasswordOption = None,
) -> None:
    """Reopen a closed flag."""
    from timpora.review import service as svc

    reviewer = _reviewer(user, password)
    _review_call(lambda: svc.reopen(reviewer, flag_id, note))
    console.print(f"{flag_id}: reopened")


@review_app.command("serve")
def review_serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="addresses of the TLS proxy whose X-Forwarded-Proto/-For are trusted")
    ] = "127.0.0.1",
) -> None:
    """Serve the review app (web pages and API). In production it refuses unsafe secrets
    and a database login with more rights than the runtime role."""
    import uvicorn

    from timpora.review.app import create_app
    from timpora.warehouse.privileges import require_least_privilege

    try:
        application = create_app()
        require_least_privilege(who="the review app")
    except ConfigError as exc:
        _fail(str(exc))
        return
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit log's hash chain: every row as it was written, none missing or added
    (exit 1 naming the first rows that break). Prints the head: keep it elsewhere, and a
    later head that does not extend it shows rows removed from the end."""
    from timpora.review.audit import verify
    from timpora.warehouse.db import warehouse_engine

    report = verify(warehouse_engine())
    if report.intact:
        console.print(f"audit chain intact: {report.rows} rows; head {report.head_seq} {report.head_hash}")
        return
    for problem in report.problems:
        _say(f"broken: {problem}")
    err.print(f"[bold red]audit chain broken[/] ({len(report.problems)} problem(s) shown; {report.rows} rows read)")
    raise typer.Exit(code=1)


def run() -> None:
    """The ``timpora`` command: a configuration problem found mid-command (an unsafe secret
    in production, a warehouse that needs migrating) is one clear line and exit 2, not a
    traceback."""
    try:
        app()
    except ConfigError as exc:
        err.print("[bold red]error:[/]", Text(safe_text(str(exc))))
        raise SystemExit(2) from None


if __name__ == "__main__":
    run()
