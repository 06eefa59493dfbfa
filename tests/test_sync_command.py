"""`pipeline-bot sync` output: one line per source, progress only on a terminal."""

from __future__ import annotations

import io

from bot.sync import SyncResult
from bot.sync_command import Progress, result_line


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_pages_and_cards_on_a_terminal_and_clears_itself() -> None:
    screen = Terminal()
    progress = Progress("agence", screen)
    progress(1, 100)
    progress(2, 200)
    progress.clear()
    assert "agence: 2 page(s), 200 card(s)" in screen.getvalue()
    assert screen.getvalue().endswith("\r\033[K")


def test_progress_is_silent_when_output_is_not_a_terminal() -> None:
    piped = io.StringIO()
    progress = Progress("agence", piped)
    progress(1, 100)
    progress.clear()
    assert piped.getvalue() == ""


def test_one_line_result_names_every_figure() -> None:
    ok = SyncResult("agence", full=False, fetched=120, changed=5, stage_changes=2, removed=1,
                    warnings=["x"], seconds=1.25)  # fmt: skip
    assert result_line(ok, "en") == ("agence: incremental, 120 fetched, 5 changed, "
                                  "2 stage change(s), 1 removed, 1 warning(s), 1.2 s")  # fmt: skip
    assert result_line(ok, "fr") == ("agence : incrémentale, 120 lue(s), 5 modifiée(s), 2 "
                                  "changement(s) d'étape, 1 retirée(s), 1 avertissement(s), "
                                  "1,2 s")  # fmt: skip
    failed = SyncResult("agence", full=True, error="source 'agence': GET /1/boards failed (HTTP 500)",
                        seconds=3.0)  # fmt: skip
    assert result_line(failed, "en").startswith("agence: FAILED after 3.0 s: source 'agence'")
    assert result_line(failed, "fr").startswith("agence : ÉCHEC après 3,0 s : source 'agence'")
