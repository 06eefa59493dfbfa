"""Stalled-deal nudges: who gets which deals, sent once per deal per local day.

A pass plans first (stalled deals not yet nudged today, grouped by the Slack user of their
owner) and then sends message by message. Before each message its deals are claimed in the
nudge log (one row per deal and local day, which only one process can insert), and the claim
becomes a sent nudge once Slack answered ok; a message Slack refused gives its claims back. So
a pass that stops half-way is simply re-run: what went out is not sent again today. One pass
at a time per database (a lease), and the claims besides, so `serve` replicas and a manual
`pipeline-bot nudge` never double-send, even when a lease expires under a stuck pass.
Recipient errors (a deleted user, an archived channel) are logged and skipped; errors that
would hit every message (bad token, Slack down) stop the pass.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot import analytics
from bot.analytics import Context, HygieneDeal, StalledDeal
from bot.analytics.hygiene import owner_key
from bot.answers import context_for
from bot.edits import controls_for
from bot.i18n import t
from bot.lease import held
from bot.outbox import FindUser, Outbox, SlackRefused
from bot.pipeline import normalise
from bot.render.nudge_blocks import Rendered, owner_message, plain, team_message
from bot.settings import Settings, person_index, slack_user
from bot.store import Store

log = logging.getLogger(__name__)

LEASE_JOB = "nudges"
LEASE_TTL = timedelta(minutes=30)

#: Slack errors that would fail every message: stop the pass rather than log each one.
FATAL_ERRORS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "no_permission", "org_login_required", "team_access_not_granted", "ekm_access_denied",
    "fatal_error", "internal_error", "service_unavailable", "request_timeout", "ratelimited",
})  # fmt: skip


class PassStopped(Exception):
    """Slack failed in a way that affects every message; what was sent is logged."""

    def __init__(self, error: str, result: PassResult):
        self.error = error
        self.result = result
        super().__init__(error)


def is_fatal(exc: SlackRefused) -> bool:
    return exc.status >= 500 or exc.error in FATAL_ERRORS


# --- who gets what ---------------------------------------------------------------------------


class Recipients:
    """Owner → Slack user: `[people]` by name or e-mail, else `users.lookupByEmail` (cached)."""

    def __init__(self, people: dict[str, str],
                 lookup: Callable[[str], str | None] | None) -> None:  # fmt: skip
        self.index = person_index(people)
        self.lookup = lookup
        self.cache: dict[str, str | None] = {}

    def configured(self, owner: str | None, email: str | None) -> str | None:
        return slack_user(self.index, owner, email)

    def by_email(self, email: str) -> str | None:
        key = email.strip().lower()
        if key not in self.cache:
            self.cache[key] = self.lookup(key) if self.lookup else None
        return self.cache[key]


def email_lookup(find_user: FindUser | None) -> Callable[[str], str | None] | None:
    """`find_user`; unknown or unreadable → None (the team channel gets the deals), a fatal
    refusal raised."""
    if find_user is None:
        return None

    def lookup(email: str) -> str | None:
        try:
            return find_user(email)
        except SlackRefused as exc:
            if is_fatal(exc):
                raise
            log.warning("users.lookupByEmail failed for %s: %s", email, exc.error)
            return None

    return lookup


#: The same message drawn again without the deals another process claimed meanwhile.
Redraw = Callable[[set[str]], Rendered]


@dataclass
class Outgoing:
    """One message to send: a Slack user or the team channel, and what it lists."""

    kind: str  # "user" | "email" (dry run: still to look up) | "team"
    target: str  # Slack user ID, e-mail, or channel ID
    owners: list[str]
    rendered: Rendered
    redraw: Redraw


@dataclass
class Plan:
    day: str
    messages: list[Outgoing]
    skipped: int = 0  # stalled deals already nudged today
    unreachable: list[tuple[str, int]] = field(default_factory=list)  # (owner, deals)

    @property
    def deal_count(self) -> int:
        return sum(len(m.rendered.listed) for m in self.messages)


@dataclass
class PassResult:
    messages: int = 0
    deals: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self, language: str) -> str:
        return t("nudge.result", language, messages=self.messages, deals=self.deals,
                 failed=self.failed, skipped=self.skipped)  # fmt: skip


def owner_name(deal: StalledDeal, language: str) -> str:
    return deal.owner or deal.owner_email or t("nudge.no_owner", language)


def plan_nudges(settings: Settings, store: Store, ctx: Context, recipients: Recipients, *,
                dry_run: bool = False) -> Plan:  # fmt: skip
    """The messages of today's pass: stalled deals not yet nudged today, by recipient."""
    lang = ctx.language
    day = ctx.today.isoformat()
    deals = analytics.stalled(store, ctx).deals  # longest idle first, then id
    already = store.nudged_on(day, [d.id for d in deals])
    pending = [d for d in deals if d.id not in already]
    config = settings.config
    by_user: dict[str, tuple[list[str], list[StalledDeal]]] = {}
    by_email: dict[str, tuple[list[str], list[StalledDeal]]] = {}
    team: dict[str, list[StalledDeal]] = {}
    for deal in pending:
        name = owner_name(deal, lang)
        user = recipients.configured(deal.owner, deal.owner_email)
        if user is None and deal.owner_email:
            if dry_run:
                owners, listed = by_email.setdefault(deal.owner_email.lower(), ([], []))
                _add(owners, listed, name, deal)
                continue
            user = recipients.by_email(deal.owner_email)
        if user is None:
            team.setdefault(name, []).append(deal)
            continue
        owners, listed = by_user.setdefault(user, ([], []))
        _add(owners, listed, name, deal)
    opts = {"max_deals": config.nudges.max_per_owner, "snooze_days": config.nudges.snooze_days}
    controls = controls_for(settings)
    tidy = analytics.hygiene(store, ctx).by_owner() if pending else {}
    messages: list[Outgoing] = []
    for kind, groups in (("user", by_user), ("email", by_email)):
        for target, (owners, listed) in groups.items():
            mine = _tidy_of(tidy, listed)

            def redraw(taken: set[str], owner: str = owners[0],
                       listed: list[StalledDeal] = listed, mine: list[HygieneDeal] = mine
                       ) -> Rendered:  # fmt: skip
                deals = [deal for deal in listed if deal.id not in taken]
                return owner_message(owner, deals, ctx, tidy=mine, controls=controls, **opts)

            messages.append(Outgoing(kind, target, owners, redraw(set()), redraw))
    messages.sort(key=lambda m: (normalise(m.owners[0]), m.target))  # by owner name, then team
    plan = Plan(day, messages, skipped=len(already))
    if team:
        groups_list = sorted(team.items())
        channel = config.slack.channel
        if channel:
            per_owner = {owner: _tidy_of(tidy, listed) for owner, listed in groups_list}

            def redraw_team(taken: set[str]) -> Rendered:
                groups = [(owner, [d for d in listed if d.id not in taken])
                          for owner, listed in groups_list]  # fmt: skip
                return team_message([(owner, listed) for owner, listed in groups if listed], ctx,
                                    tidy=per_owner, controls=controls, **opts)  # fmt: skip

            owners = [o for o, _ in groups_list]
            plan.messages.append(Outgoing("team", channel, owners, redraw_team(set()), redraw_team))
        else:
            plan.unreachable = [(owner, len(listed)) for owner, listed in groups_list]
    return plan


def _tidy_of(tidy: dict[str, list[HygieneDeal]],
             listed: list[StalledDeal]) -> list[HygieneDeal]:  # fmt: skip
    """The deals with hygiene problems of the owners of `listed` (one message's deals)."""
    keys = dict.fromkeys(owner_key(d.owner, d.owner_email) for d in listed)
    return [deal for key in keys for deal in tidy.get(key, [])]


def _add(owners: list[str], listed: list[StalledDeal], name: str, deal: StalledDeal) -> None:
    if name not in owners:
        owners.append(name)
    listed.append(deal)


# --- sending ---------------------------------------------------------------------------------


def send_plan(plan: Plan, store: Store, out: Outbox, *, language: str,
              on_sent: Callable[[], None] = lambda: None) -> PassResult:  # fmt: skip
    """Claim each message's deals, send it, confirm; raises `PassStopped` when fatal."""
    result = PassResult(skipped=plan.skipped)
    for owner, count in plan.unreachable:
        problem = t("nudge.no_channel", language, owners=owner, n=count)
        log.warning("%s", problem)
        result.errors.append(problem)
        result.failed += 1
    for message in plan.messages:
        rendered, taken = claim(store, plan.day, message)
        result.skipped += len(taken)
        deal_ids = [d.id for d in rendered.listed]
        if not deal_ids:
            continue
        try:
            posted = out.post(message.target, rendered.text, rendered.blocks)
        except OSError as exc:  # the connection failed even after the client's retries
            if _never_sent(exc):
                store.release_nudges(plan.day, deal_ids)
            raise PassStopped(str(exc), result) from exc
        except SlackRefused as exc:
            store.release_nudges(plan.day, deal_ids)  # Slack said no: nothing was posted
            error = exc.error
            if is_fatal(exc):
                raise PassStopped(error, result) from exc
            text = t("nudge.failed", language, owner=", ".join(message.owners),
                     deals=", ".join(deal_ids), error=error)  # fmt: skip
            log.warning("nudge to %s failed: %s", message.target, text)
            result.errors.append(text)
            result.failed += 1
            continue
        store.confirm_nudges(plan.day, deal_ids, datetime.now(UTC), posted.channel, posted.ts)
        result.messages += 1
        result.deals += len(deal_ids)
        on_sent()
    return result


def claim(store: Store, day: str, message: Outgoing) -> tuple[Rendered, set[str]]:
    """The message to send, with only deals this process claimed for `day`, and the deals
    another process had claimed (its pass sends them). A deal taken elsewhere is left out and
    the message drawn again, which may list a deal it had cut: that one is claimed in turn."""
    rendered = message.rendered
    won: set[str] = set()
    taken: set[str] = set()
    while True:
        wanted = [d for d in rendered.listed if d.id not in won]
        won |= store.claim_nudges(
            day, [(d.id, owner_of(d, message), message.target) for d in wanted]
        )
        lost = {d.id for d in wanted} - won
        if not lost:
            break
        taken |= lost
        rendered = message.redraw(taken)
    unused = won - {d.id for d in rendered.listed}
    if unused:  # claimed, then cut by a redraw: left for the next pass
        store.release_nudges(day, sorted(unused))
    if taken:
        log.info("nudge to %s: %d deal(s) already claimed by another process", message.target,
                 len(taken))  # fmt: skip
    return rendered, taken


def _never_sent(exc: OSError) -> bool:
    """A refused connection or an unknown host never reached Slack: the message's claims are
    given back. Any other failure (a timeout, a reset) may come after Slack posted it: its
    claims stay, so the deals are nudged at most once that day rather than maybe twice."""
    reason = getattr(exc, "reason", None)  # urllib wraps the socket's error
    return any(isinstance(e, ConnectionRefusedError | socket.gaierror) for e in (exc, reason))


def owner_of(deal: StalledDeal, message: Outgoing) -> str:
    return deal.owner or deal.owner_email or ", ".join(message.owners)


def run_pass(settings: Settings, store: Store, out: Outbox, now: datetime, *,
             holder: str | None = None) -> PassResult:  # fmt: skip
    """One complete nudge pass under the `nudges` lease (raises `LeaseBusy`, `PassStopped`)."""
    ctx = context_for(settings, now, store=store)
    with held(store, LEASE_JOB, LEASE_TTL, holder=holder) as lease:
        recipients = Recipients(settings.config.people, email_lookup(out.find_user))
        try:
            plan = plan_nudges(settings, store, ctx, recipients)
        except SlackRefused as exc:  # only fatal look-up errors get here
            raise PassStopped(exc.error, PassResult()) from exc
        return send_plan(plan, store, out, language=ctx.language, on_sent=lease.renew)


# --- the command -----------------------------------------------------------------------------


def describe_plan(plan: Plan, settings: Settings, language: str) -> list[str]:
    """`--dry-run`: exactly what would be sent to whom."""
    lines: list[str] = []
    channel = settings.config.slack.channel or "—"
    for message in plan.messages:
        owners = ", ".join(message.owners)
        if message.kind == "user":
            head = t("nudge.dry.to_user", language, owner=owners, user=message.target)
        elif message.kind == "email":
            head = t("nudge.dry.to_email", language, owner=owners, email=message.target,
                     channel=channel)  # fmt: skip
        else:
            head = t("nudge.dry.to_channel", language, channel=message.target, owners=owners)
        lines.append(head)
        lines.extend("  " + line for line in plain(message.rendered).splitlines())
        lines.append("")
    for owner, count in plan.unreachable:
        lines.append(t("nudge.no_channel", language, owners=owner, n=count))
    lines.append(t("nudge.dry.result", language, messages=len(plan.messages),
                   deals=plan.deal_count, skipped=plan.skipped))  # fmt: skip
    return lines
