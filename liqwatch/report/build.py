"""Build the report: Inputs → Report. Pure: the same inputs always give the same article.

Every number printed goes through `Book`, which records it as a Figure with the query that
produced it (report.model.Query), so `liqwatch report --format json` can be checked figure by
figure against `liqwatch events`. Sentences only say what the figures support: a price is
mentioned only when stored candles give it, a rank only against comparable past periods
(analytics.history), a squeeze only when the detector's checks pass (analytics.squeeze), and
totals from sampled venues are called lower bounds.
"""

from __future__ import annotations

import msgspec

from liqwatch.analytics.summary import WindowSummary, iso_ms
from liqwatch.report import words
from liqwatch.report.basis_words import during, larger_side, split_sentence
from liqwatch.report.common import (
    DAY_MS,
    HOUR_MS,
    MAJORS,
    MIN_COMPARABLE,
    MIN_RANK_SPAN_MS,
    ONE_SIDED,
    OTHER_COINS,
    Book,
    _comparison_json,
    _gap_sentences,
    _window,
    events_cli,
    focus_coins,
)
from liqwatch.report.model import (
    Inputs,
    Report,
    Section,
)
from liqwatch.report.sections_levels import levels_section
from liqwatch.report.sections_note import _Closing
from liqwatch.report.sections_wallets import wallets_section

# Re-exported: the public names other modules import from liqwatch.report.build.
__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "MAJORS",
    "MIN_COMPARABLE",
    "MIN_RANK_SPAN_MS",
    "ONE_SIDED",
    "OTHER_COINS",
    "Book",
    "build",
    "events_cli",
    "focus_coins",
]


def build(inputs: Inputs) -> Report:
    label, length = inputs.window
    at = inputs.at
    start = at - length
    main = _window(inputs, label)
    book = Book()
    if main.count == 0:
        return _empty(inputs, book)
    state = _State(inputs, main, book)
    prices = state.prices()  # first: the lead says why the day matters from the price facts
    lead = state.lead()
    tables: list[Section | None] = [state.timeframes(), state.coins()]
    candidates: list[Section | None]
    if state.small:  # a handful of orders: the figures and the data note, no story
        candidates = [lead, *tables]
    else:
        candidates = [
            lead,
            *tables,
            state.largest(),
            prices,
            levels_section(inputs, book),
            state.history(),
            state.signals(),
            wallets_section(inputs, book),
        ]
    sections = [s for s in candidates if s is not None and (s.paragraphs or s.key in ("timeframes", "coins"))]
    if not state.small:
        sections.append(state.bottom_line())
    state.sections_written = [s.key for s in sections]
    sections.append(state.data_note())
    headline, dek = state.headline()
    return Report(
        at=at,
        at_iso=iso_ms(at),
        window=label,
        start=start,
        end=at,
        empty=False,
        headline=headline,
        dek=dek,
        sections=sections,
        figures=book.figures,
        windows=state.window_rows,
        slices=state.slice_rows,
        coins=state.coin_rows,
        venues=state.venue_rows(),
        bars=state.bars(),
        price_line=state.price_line(),
        largest=main.largest,
        comparisons=[_comparison_json(c) for c in state.comparisons_used],
        signals=[msgspec.to_builtins(d) for d in state.detections],
        cascades=[msgspec.to_builtins(c) for c in state.cascade_list],
        gaps=list(inputs.gaps),
        period_ranks=list(inputs.period_ranks),
        unrecorded=state.unrecorded(),
    )


def _empty(inputs: Inputs, book: Book) -> Report:
    label, length = inputs.window
    at = inputs.at
    start = at - length
    book.count("count", 0, start, at)
    window_words = f"the {words.period(length)} to {words.moment(at)}"
    if not inputs.spans:
        headline = "No liquidations recorded"
        text = (
            "The liqwatch store holds no liquidations yet: import a capture journal or Tardis CSV file "
            "(`liqwatch import FILE…`) or collect live (`liqwatch run`), then run the report again."
        )
    else:
        headline = f"No liquidations recorded in {window_words}"
        held = [
            f"{words.venue_name(s.venue)} from {words.moment(s.first_ts)} to {words.moment(s.last_ts)}"
            for s in inputs.spans
        ]
        text = (
            f"liqwatch recorded no liquidation orders in {window_words}. "
            f"The store holds {words.join(held)}. A window without events says nothing about the market: "
            "the feeds may not have been collected then."
        )
    imported = [r for r in inputs.period_ranks if r.best is not None and r.best.source != "liqwatch"]
    from_history = larger_side(imported)
    if from_history:  # written from imported aggregate history, attributed
        bases = words.join(sorted({r.best.basis for r in from_history if r.best is not None}))
        headline = f"Liquidations {during(from_history[0].kind, from_history[0].start)}, from {bases}"
        text = (
            f"liqwatch recorded no liquidation events of its own in {window_words}. The figures below are "
            f"imported aggregate history ({bases}), not liqwatch's own records."
        )
        splits = [
            t for coin in dict.fromkeys(str(r.coin) for r in from_history) if (t := split_sentence(imported, coin))
        ]
        text = " ".join([text, *splits])
    note = _gap_sentences(inputs)
    sections = [Section("lead", "", [text])]
    if from_history:
        sections.append(Section("history", "In context", [r.sentence for r in from_history]))
    if note:
        sections.append(Section("data_note", "About the data", note))
    return Report(
        at=at,
        at_iso=iso_ms(at),
        window=label,
        start=start,
        end=at,
        empty=True,
        headline=headline,
        dek="",
        sections=sections,
        figures=book.figures,
        windows=[],
        slices=[],
        coins=[],
        venues=[],
        bars=[],
        price_line=None,
        largest=None,
        comparisons=[],
        signals=[],
        cascades=[],
        gaps=list(inputs.gaps),
        period_ranks=list(inputs.period_ranks),
    )


class _State(_Closing):
    """The pieces of one build, computed once and shared by the sections."""

    def __init__(self, inputs: Inputs, main: WindowSummary, book: Book) -> None:
        super().__init__(inputs, main, book)
        self.comparisons = self._compare_all()
        self.detect_all()
