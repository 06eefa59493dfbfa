"""Trello: the cards of one board are deals, a card's list is its status, list moves its history.

Requests, chosen to cost as few as Trello's rate limits allow (100 requests / 10 s per token):

- The board itself, once: `GET /boards/{board}?lists=all&customFields=true&members=all` (list
  names, dropdown options, member names; no cards).
- The board's actions (`createCard`/`copyCard`/`moveCardToBoard`/`convertToCardFromCheckItem`,
  `updateCard:idList`, the archiving of cards and lists, and for the field history
  `updateCard:due` and `updateCustomFieldItem`, each with `data.old`), 1,000 a page, newest
  first, paging backwards with `before=`; with `since=` on an incremental sync (usually one page).
- The cards, `GET /boards/{board}/cards?filter=..&fields=..&customFieldItems=true`, 1,000 a page
  (`limit`/`before`, newest first): a board's whole card list in one answer is what Trello
  refuses on big boards (`API_TOO_MANY_CARDS_REQUESTED`), and paging keeps memory flat.

Full sync: 1 + ceil(actions / 1000) + ceil(cards / 1000) requests, `filter=visible`.
Incremental sync: the same with the actions since the bookmark and `filter=open`; cards are kept
when their `dateLastActivity` is after the bookmark. Why re-read the card pages rather than one
`GET /cards/{id}` per changed card: an edit of a custom field (amount, probability…) leaves no
move action, so the actions alone cannot say which cards changed, and one page covers 1,000
cards where per-card calls cost one request each. A card archived since the bookmark is not in
the open cards: it is read by itself (`GET /cards/{id}`, rare) and comes back `removed`.

Archived cards, cards in archived lists, and (incremental) lists archived since the bookmark count
as removed. A card moved to another board simply stops appearing: the daily full sync removes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from pydantic import field_validator

from bot.i18n import Said
from integrations import signatures
from integrations.base import (
    TRACKED_FIELDS,
    Adapter,
    DealUpdate,
    FieldChange,
    SourceDocs,
    SourceSettings,
    StatusChange,
    Task,
    Webhook,
    id_from_url,
    register,
)
from integrations.deal_fields import (
    RawValue,
    apply_custom_fields,
    apply_value,
    parse_field,
    wanted_fields,
)
from integrations.http import HttpError, paginate
from integrations.values import noon_utc, normalise, parse_datetime, utc_iso
from integrations.writes import named_field, pick_option, pick_status, plan_write, refusals

DEFAULT_BASE_URL = "https://api.trello.com/1"

#: Actions that put a card in a list (its creation on this board, in `data.list`).
CREATE_TYPES = frozenset(
    {"createCard", "copyCard", "moveCardToBoard", "convertToCardFromCheckItem"}
)
#: Every action type fetched: creations, list moves, and (for incremental syncs) archiving.
ACTION_FILTER = ",".join(
    [
        "createCard",
        "copyCard",
        "moveCardToBoard",
        "convertToCardFromCheckItem",
        "updateCard:idList",
        "updateCard:closed",
        "updateList:closed",
        "updateCard:due",
        "updateCustomFieldItem",
    ]
)
CARD_FIELDS = "name,idList,idMembers,due,dateLastActivity,url,closed"
#: Above this many cards archived since the bookmark, page the archived cards instead.
ARCHIVED_ONE_BY_ONE = 20


_BOARD_IN_URL = re.compile(r"trello\.com/b/([A-Za-z0-9]+)")


class TrelloSettings(SourceSettings):
    """`[[sources]] kind = "trello"`: `board` is the board id or its short link."""

    kind: str = "trello"
    base_url: str | None = DEFAULT_BASE_URL
    board: str

    @field_validator("board")
    @classmethod
    def _board_id(cls, value: str) -> str:
        return id_from_url(value, _BOARD_IN_URL, Said("config.trello_board"))


def card_created(card_id: str) -> datetime | None:
    """Trello ids are Mongo ObjectIds: the first 8 hex digits are the creation time in seconds."""
    try:
        return datetime.fromtimestamp(int(card_id[:8], 16), tz=UTC)
    except ValueError:
        return None


class _Moves:
    """What the board's actions tell: each card's list moves, and what was archived.

    Moves are kept flat per card (`[unix time, to, from, unix time, to, from, ...]`, names shared
    with the lists) rather than as objects: a board's whole history stays a few tens of MB.
    """

    def __init__(self) -> None:
        self.by_card: dict[str, list[Any]] = {}
        self.created: set[str] = set()
        self.archived_cards: set[str] = set()
        self.archived_lists: set[str] = set()
        #: field history per card, from `updateCustomFieldItem` actions, and the due date's
        #: (`updateCard:due`), the close date's history only when no custom field holds it
        self.fields: dict[str, list[FieldChange]] = {}
        self.due: dict[str, list[FieldChange]] = {}

    def add(self, card_id: str, at: float, to: str, before: str | None) -> None:
        self.by_card.setdefault(card_id, []).extend((at, to, before))

    def history(self, card_id: str) -> list[StatusChange]:
        flat = self.by_card.get(card_id) or []
        changes = [
            StatusChange(datetime.fromtimestamp(flat[n], tz=UTC), flat[n + 1], flat[n + 2])
            for n in range(0, len(flat), 3)
        ]
        changes.sort(key=lambda change: change.at)
        return changes


@register
class TrelloAdapter(Adapter[TrelloSettings]):
    kind = "trello"
    settings_model = TrelloSettings
    secret_names = ("TRELLO_API_KEY", "TRELLO_TOKEN")
    docs = SourceDocs(
        title="Trello",
        key="`board` (id, short link or URL)",
        status="the card's list",
        history="board actions",
        secrets=(
            "https://trello.com/power-ups/admin → your Power-Up → API key, then generate a token."
        ),
        check="`GET /1/boards/{board}?fields=name`",
        webhooks="the API secret shown under the API key (same Power-Up admin page).",
    )
    #: An incremental sync reads actions from a little before the bookmark (our clock is not
    #: Trello's); the upserts absorb what is read twice.
    overlap = timedelta(minutes=5)
    has_history = True
    task_shape = {
        "name": str, "idList": str, "idMembers": list, "due": str, "dateLastActivity": str,
        "url": str, "closed": bool, "customFieldItems": [dict],
    }  # fmt: skip
    task_noun = "card"
    has_field_history = True
    #: Trello's maximum page of actions; a shorter page is the last one.
    actions_page_size: ClassVar[int] = 1000
    #: Cards per page (newest first); a shorter page is the last one.
    cards_page_size: ClassVar[int] = 1000
    webhook_secret_name = "TRELLO_API_SECRET"

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """`X-Trello-Webhook`: base64 HMAC-SHA1, keyed with the app's API secret, of the body
        followed by the callback URL exactly as it was registered."""
        given = signatures.header(headers, "X-Trello-Webhook")
        return signatures.base64_hmac_sha1(secret, body + callback_url.encode(), given)

    def connect(self) -> None:
        self.client = self.http_client(
            DEFAULT_BASE_URL,
            auth_params={
                "key": self.secrets["TRELLO_API_KEY"],
                "token": self.secrets["TRELLO_TOKEN"],
            },
        )

    def probe(self) -> str:
        """`GET /boards/{board}?fields=name`: the board's name."""
        board = self.client.get(f"/boards/{self.settings.board}", {"fields": "name"})
        return str(board.get("name") or self.settings.board)

    # -- write -------------------------------------------------------------------------------

    writable = True

    def write(self, task_id: str, update: DealUpdate) -> None:
        """Move the card to the list named `update.status`, set its due date, and put a lost
        reason or next step in the custom field `[sources.fields]` names (else one comment).

        Every name is looked up before anything is written, so an unknown list, field or option
        is refused with nothing changed. Requests: `GET /boards/{board}/lists` (a move),
        `GET /boards/{board}/customFields` (a named field), then `PUT /cards/{id}` with `idList`
        and `due` as Trello documents them (query parameters), one
        `PUT /cards/{id}/customField/{field}/item` per named field, and
        `POST /cards/{id}/actions/comments`. Moving a card to the list it is in changes nothing.
        """
        plan = plan_write(self.settings, update)
        card: dict[str, str] = {}
        with refusals(self.name):
            if update.status is not None:
                card["idList"] = self._list_id(update.status)
            items = self._field_items(plan.fields) if plan.fields else []
            if plan.due is not None:
                card["due"] = utc_iso(noon_utc(plan.due), millis=True)
            if card:
                self.client.send("PUT", f"/cards/{task_id}", params=card)
            for field_id, item in items:
                self.client.send("PUT", f"/cards/{task_id}/customField/{field_id}/item", item)
            if plan.comment:
                self.client.post(
                    f"/cards/{task_id}/actions/comments", params={"text": plan.comment}
                )

    def _list_id(self, status: str) -> str:
        """The id of the board's open list named `status`."""
        lists = self.client.get(
            f"/boards/{self.settings.board}/lists", {"filter": "open", "fields": "name"}
        )
        ids = {str(lst.get("name") or ""): str(lst["id"]) for lst in lists if lst.get("id")}
        return ids[pick_status(self.name, status, ids, "Trello")]

    def _field_items(
        self, fields: Mapping[str, tuple[str, str | date]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """(custom field id, item body) for each named field: a dropdown (`list`) takes the id
        of the option of that name, a date field the date, any other the text."""
        definitions = self.client.get(f"/boards/{self.settings.board}/customFields")
        named = [(str(d.get("name") or ""), d) for d in definitions if d.get("id")]
        items: list[tuple[str, dict[str, Any]]] = []
        for deal, (name, value) in fields.items():
            found = named_field(self.name, name, deal, named)
            if found.get("type") == "list":
                options = [(str((o.get("value") or {}).get("text") or ""), str(o["id"]))
                           for o in found.get("options") or [] if o.get("id")]  # fmt: skip
                item: dict[str, Any] = {"idValue": pick_option("Trello", name, str(value), options)}
            elif found.get("type") == "date" and isinstance(value, date):
                item = {"value": {"date": utc_iso(noon_utc(value), millis=True)}}
            else:
                item = {"value": {"text": str(value)}}
            items.append((str(found["id"]), item))
        return items

    # -- webhooks ----------------------------------------------------------------------------

    def _board_id(self) -> str:
        """The board's full id (a webhook's `idModel`; the setting may be its short link)."""
        board = self.client.get(f"/boards/{self.settings.board}", {"fields": "id"})
        return str(board["id"])

    def register_webhook(self, url: str) -> Webhook:
        """`POST /webhooks` on the board; Trello first checks that `url` answers a HEAD with
        200, and refuses the webhook otherwise."""
        with refusals(self.name):
            made = self.client.post(
                "/webhooks",
                params={
                    "idModel": self._board_id(),
                    "callbackURL": url,
                    "description": f"pipeline-bot: source '{self.name}'",
                },
            )
        return Webhook(str(made["id"]), str(made.get("callbackURL") or url))

    def list_webhooks(self) -> list[Webhook]:
        """The token's webhooks on this board (`GET /tokens/{token}/webhooks`: Trello lists
        webhooks under the token that made them)."""
        with refusals(self.name):
            board = self._board_id()
            found = self.client.get(f"/tokens/{self.secrets['TRELLO_TOKEN']}/webhooks")
        return [
            Webhook(str(hook["id"]), str(hook.get("callbackURL") or ""))
            for hook in found
            if isinstance(hook, Mapping) and hook.get("idModel") == board
        ]

    def remove_webhook(self, webhook_id: str) -> None:
        """`DELETE /webhooks/{id}`."""
        with refusals(self.name):
            self.client.send("DELETE", f"/webhooks/{webhook_id}")

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Every live card (since None), or the cards changed since `since` with removals."""
        full = since is None
        board = self.client.get(
            f"/boards/{self.settings.board}",
            {"fields": "name", "lists": "all", "customFields": "true", "members": "all"},
        )
        lists: dict[str, dict[str, Any]] = {lst["id"]: lst for lst in board.get("lists") or []}
        fields = _CustomFields(board.get("customFields") or [])
        tracked = self._tracked_fields(fields)
        moves = _Moves()
        members = {m["id"]: m for m in board.get("members") or []}
        seen: set[str] = set()

        def read(card: Any) -> Task | None:
            return self.read_task(
                card, lambda one: self._task(one, lists, members, fields, moves, full)
            )

        def changed(card: Any) -> Task | None:
            """The card as a task when it changed since the bookmark (and, on a full sync, is
            live: the engine removes the rest), once per card."""
            if isinstance(card, Mapping) and (
                card.get("id") in seen or not self._changed(card, since, moves)
            ):
                return None
            task = read(card)
            if task is None:
                return None
            seen.add(task.id)
            return None if full and task.removed else task

        def pages() -> Iterator[list[Task]]:
            """The board, each page of actions (moves, no task), each page of cards, then each
            card archived since the bookmark: a page each, for the progress count."""
            yield []
            for actions in paginate(
                lambda before: self._actions_page(since, before), source=self.name
            ):
                self._read_actions(actions, lists, moves)
                self._read_field_actions(actions, fields, tracked, moves)
                yield []
            for cards in paginate(
                lambda before: self._cards_page("visible" if full else "open", before),
                source=self.name,
            ):
                yield [task for card in cards if (task := changed(card)) is not None]
            for card in self._archived_cards(moves.archived_cards - seen):
                task = read(card)
                yield [task] if task is not None and task.removed else []

        yield from self._counted(pages())

    def _archived_cards(self, ids: set[str]) -> Iterator[dict[str, Any]]:
        """The cards archived since the bookmark, with their data, so they leave as they were.

        One `GET /cards/{id}` each when they are few; past `ARCHIVED_ONE_BY_ONE`, a pass over the
        board's archived cards costs fewer requests. A card deleted meanwhile (404) is skipped:
        the daily full sync removes it.
        """
        if len(ids) > ARCHIVED_ONE_BY_ONE:
            for cards in paginate(
                lambda before: self._cards_page("closed", before), source=self.name
            ):
                yield from (card for card in cards if card["id"] in ids)
            return
        for card_id in sorted(ids):
            try:
                yield self.client.get(f"/cards/{card_id}", self._card_params())
            except HttpError as exc:
                if exc.status != 404:
                    raise

    def _actions_page(
        self, since: datetime | None, before: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        params: dict[str, Any] = {
            "filter": ACTION_FILTER,
            "fields": "data,date,type",
            "memberCreator": "false",
            "limit": self.actions_page_size,
        }
        if since is not None:
            params["since"] = utc_iso(since, millis=True)
        if before is not None:
            params["before"] = before
        actions: list[dict[str, Any]] = self.client.get(
            f"/boards/{self.settings.board}/actions", params
        )
        more = len(actions) >= self.actions_page_size and actions
        return actions, (actions[-1]["id"] if more else None)

    @staticmethod
    def _card_params() -> dict[str, Any]:
        return {"fields": CARD_FIELDS, "customFieldItems": "true"}

    def _cards_page(
        self, which: str, before: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        params = {"filter": which, **self._card_params(), "limit": self.cards_page_size}
        if before is not None:
            params["before"] = before
        path = f"/boards/{self.settings.board}/cards"
        cards: list[dict[str, Any]] = self.client.get(path, params)
        if len(cards) != self.cards_page_size:
            return cards, None  # short page: the last; longer: `limit` ignored, all at once
        return cards, min(card["id"] for card in cards)

    @staticmethod
    def _read_actions(
        actions: list[dict[str, Any]], lists: Mapping[str, Mapping[str, Any]], moves: _Moves
    ) -> None:
        def name(ref: Mapping[str, Any] | None) -> str | None:
            """The list's current name when it is still on the board, else its name back then."""
            if not ref:
                return None
            current = lists.get(str(ref.get("id")))
            return (current or ref).get("name")

        for action in actions:
            data = action.get("data") or {}
            kind = action.get("type")
            card_id = (data.get("card") or {}).get("id")
            if kind == "updateList":
                lst = data.get("list") or {}
                if lst.get("closed") and lst.get("id"):
                    moves.archived_lists.add(lst["id"])
                continue
            if not card_id:
                continue
            moment = parse_datetime(action.get("date"))
            if moment is None:
                continue
            at = moment.timestamp()
            old = data.get("old") or {}
            if kind in CREATE_TYPES:
                to = name(data.get("list"))
                if to:
                    moves.add(card_id, at, to, None)
                    moves.created.add(card_id)
            elif kind == "updateCard" and (data.get("listAfter") or "idList" in old):
                after = data.get("listAfter") or {"id": (data.get("card") or {}).get("idList")}
                before = data.get("listBefore") or {"id": old.get("idList")}
                to = name(after)
                if to:
                    moves.add(card_id, at, to, name(before))
            elif kind == "updateCard" and (data.get("card") or {}).get("closed"):
                moves.archived_cards.add(card_id)

    def _tracked_fields(self, fields: _CustomFields) -> dict[str, str]:
        """Which history a field change of this board is: custom-field id (or "due") -> the
        tracked deal field it holds."""
        wanted = wanted_fields(self.settings)
        by_name = {normalise(wanted[f]): f for f in TRACKED_FIELDS if f in wanted}
        tracked = {fid: by_name[name] for fid, name in fields.names.items() if name in by_name}
        tracked["due"] = "expected_close"
        return tracked

    @staticmethod
    def _read_field_actions(
        actions: list[dict[str, Any]],
        fields: _CustomFields,
        tracked: Mapping[str, str],
        moves: _Moves,
    ) -> None:
        """Changes of the tracked fields: `updateCard` with `data.old.due` (the due date), and
        `updateCustomFieldItem` with the new item and `data.old` (the value before)."""
        for action in actions:
            data = action.get("data") or {}
            card_id = (data.get("card") or {}).get("id")
            kind = action.get("type")
            old = data.get("old") or {}
            if not card_id or not isinstance(old, Mapping):
                continue
            if kind == "updateCard" and "due" in old:
                key, before, after = "due", old.get("due"), (data.get("card") or {}).get("due")
            elif kind == "updateCustomFieldItem":
                key = str((data.get("customField") or {}).get("id") or "")
                before = fields.item_value(old)
                after = fields.item_value(data.get("customFieldItem") or {})
            else:
                continue
            deal_field = tracked.get(key)
            moment = parse_datetime(action.get("date"))
            if deal_field is None or moment is None:
                continue
            change = FieldChange(moment, deal_field, parse_field(deal_field, before),
                                 parse_field(deal_field, after))  # fmt: skip
            if change.from_value != change.to_value:
                found = moves.due if key == "due" else moves.fields
                found.setdefault(card_id, []).append(change)

    @staticmethod
    def _changed(card: Mapping[str, Any], since: datetime | None, moves: _Moves) -> bool:
        card_id = card.get("id")
        if since is None or card_id in moves.by_card or card_id in moves.archived_cards:
            return True
        if card.get("idList") in moves.archived_lists:
            return True
        if card["id"] in moves.fields or card["id"] in moves.due:
            return True
        text = card.get("dateLastActivity") or ""
        if len(text) == 24 and text.endswith("Z"):  # Trello's own format sorts as text: no parsing
            return text >= utc_iso(since, millis=True)
        active = parse_datetime(text)
        return active is not None and active >= since

    def _task(
        self,
        card: Mapping[str, Any],
        lists: Mapping[str, Mapping[str, Any]],
        members: Mapping[str, Mapping[str, Any]],
        fields: _CustomFields,
        moves: _Moves,
        full: bool,
    ) -> Task:
        card_id = card["id"]
        lst = lists.get(card.get("idList") or "")
        owner_ids = card.get("idMembers") or []
        owner = members.get(owner_ids[0]) if owner_ids else None
        task = Task(
            id=card_id,
            title=card.get("name") or "",
            status=lst.get("name") if lst else None,
            owner=(owner.get("fullName") or owner.get("username")) if owner else None,
            url=card.get("url"),
            started=card_created(card_id),
            last_modified=parse_datetime(card.get("dateLastActivity")),
            removed=bool(card.get("closed")) or bool(lst and lst.get("closed")),
        )
        apply_custom_fields(task, fields.values(card), self.settings, noun="card")
        changes = list(moves.fields.get(card_id, []))
        if task.expected_close is None:  # the due date is the close date (and its history)
            apply_value(task, "expected_close", "due", card.get("due"), "card")
            changes.extend(moves.due.get(card_id, []))
        history = moves.history(card_id)
        if full and card_id not in moves.created and task.started is not None:
            # No creation action (e.g. older than the board's history): the card was created in
            # the list its first move left, or in the list it is still in.
            initial = history[0].from_status if history else task.status
            if initial:
                history.insert(0, StatusChange(task.started, initial))
        task.history = history
        task.field_history = sorted(changes, key=lambda change: change.at)
        return task


class _CustomFields:
    """The board's custom-field definitions: display names and dropdown options by id."""

    def __init__(self, definitions: list[dict[str, Any]]) -> None:
        self.names: dict[str, str] = {}
        self.options: dict[str, str] = {}
        for definition in definitions:
            self.names[definition["id"]] = normalise(definition.get("name") or "")
            for option in definition.get("options") or []:
                self.options[option["id"]] = (option.get("value") or {}).get("text", "")

    def values(self, card: Mapping[str, Any]) -> dict[str, RawValue]:
        """`normalised display name -> value` for one card's custom-field items."""
        found: dict[str, RawValue] = {}
        for item in card.get("customFieldItems") or []:
            name = self.names.get(item.get("idCustomField", ""))
            if name is not None:
                found[name] = self.item_value(item)
        return found

    def item_value(self, item: Mapping[str, Any]) -> RawValue:
        """One custom-field item's value (a card's, or `data.old` of an update action)."""
        if item.get("idValue"):
            return self.options.get(item["idValue"])
        value = item.get("value") or {}
        if not isinstance(value, Mapping):
            return None
        if "number" in value:
            return _number(value["number"])
        if "checked" in value:
            return str(value["checked"]).lower() == "true"
        if "date" in value:
            return value["date"]
        if "text" in value:
            return value["text"]
        return None


def _number(text: Any) -> RawValue:
    """Trello keeps numbers as machine-written strings (`"12000.5"`): read them as such."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return str(text)
