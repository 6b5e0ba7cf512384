"""The pure checks made on an entry before anything is written."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import errors
from ledger.model import (
    MAX_POSTING_PENCE,
    MAX_POSTINGS_PER_ENTRY,
    EntryRequest,
    Posting,
    PostingLine,
    ReversalRequest,
    check_entry_request,
    reversal_lines,
)

DAY = date(2026, 11, 24)
AMOUNTS = st.integers(min_value=-MAX_POSTING_PENCE, max_value=MAX_POSTING_PENCE).filter(bool)


def entry(*lines: PostingLine, **kwargs: object) -> EntryRequest:
    return EntryRequest(DAY, "test", lines, **kwargs)  # type: ignore[arg-type]


@given(st.lists(AMOUNTS, min_size=1, max_size=20))
def test_any_entry_whose_legs_sum_to_zero_is_accepted(amounts: list[int]) -> None:
    balancing = -sum(amounts)
    lines = [PostingLine("A", a) for a in amounts]
    if balancing == 0:
        lines = [*lines[:-1], PostingLine("A", amounts[-1] + 1), PostingLine("B", -1)]
    elif abs(balancing) > MAX_POSTING_PENCE:
        return  # would need splitting; covered by the limit test
    else:
        lines.append(PostingLine("B", balancing))
    check_entry_request(entry(*lines))


@given(st.lists(AMOUNTS, min_size=2, max_size=20))
def test_any_entry_whose_legs_do_not_sum_to_zero_is_refused(amounts: list[int]) -> None:
    if sum(amounts) == 0:
        amounts = [*amounts, 1]
    with pytest.raises(errors.UnbalancedEntry) as refused:
        check_entry_request(entry(*(PostingLine("A", a) for a in amounts)))
    assert str(sum(amounts)) in refused.value.message
    assert refused.value.field == "lines"


def test_the_unbalanced_message_says_which_side_is_heavier() -> None:
    with pytest.raises(errors.UnbalancedEntry, match="debits exceed credits"):
        check_entry_request(entry(PostingLine("A", 10), PostingLine("B", -9)))
    with pytest.raises(errors.UnbalancedEntry, match="credits exceed debits"):
        check_entry_request(entry(PostingLine("A", 9), PostingLine("B", -10)))


@pytest.mark.parametrize(
    ("lines", "field", "words"),
    [
        ((PostingLine("A", 1),), "lines", "at least two"),
        ((PostingLine("A", 0), PostingLine("B", 0)), "lines[0].amount_pence", "zero"),
        (
            (PostingLine("A", MAX_POSTING_PENCE + 1), PostingLine("B", -MAX_POSTING_PENCE - 1)),
            "lines[0].amount_pence",
            "at most",
        ),
        ((PostingLine("A", 1.5), PostingLine("B", -1.5)), "lines[0].amount_pence", "whole"),  # type: ignore[arg-type]
        ((PostingLine("A", True), PostingLine("B", -1)), "lines[0].amount_pence", "whole"),
        ((PostingLine("", 1), PostingLine("B", -1)), "lines[0].account_code", "empty"),
        ((PostingLine("A", 1), PostingLine("B", -1, "x" * 65)), "lines[1].sub_account_key", "65"),
    ],
)
def test_a_malformed_line_is_refused_naming_its_field(
    lines: tuple[PostingLine, ...], field: str, words: str
) -> None:
    with pytest.raises(errors.InvalidEntry, match=words) as refused:
        check_entry_request(entry(*lines))
    assert refused.value.field == field


def test_too_many_postings_are_refused_with_the_limit() -> None:
    lines = [PostingLine("A", 1)] * MAX_POSTINGS_PER_ENTRY + [
        PostingLine("B", -MAX_POSTINGS_PER_ENTRY)
    ]
    with pytest.raises(errors.InvalidEntry, match=str(MAX_POSTINGS_PER_ENTRY)):
        check_entry_request(entry(*lines))


def test_a_description_that_is_blank_or_too_long_is_refused() -> None:
    lines = (PostingLine("A", 1), PostingLine("B", -1))
    with pytest.raises(errors.InvalidEntry) as refused:
        check_entry_request(EntryRequest(DAY, "   ", lines))
    assert refused.value.field == "description"
    with pytest.raises(errors.InvalidEntry, match="500"):
        check_entry_request(EntryRequest(DAY, "x" * 501, lines))


def test_only_pounds_sterling_are_recorded() -> None:
    with pytest.raises(errors.InvalidEntry) as refused:
        check_entry_request(entry(PostingLine("A", 1), PostingLine("B", -1), currency="EUR"))
    assert refused.value.field == "currency"


def test_the_request_hash_ignores_the_key_but_not_the_content() -> None:
    lines = (PostingLine("A", 1), PostingLine("B", -1))
    base = entry(*lines, idempotency_key="k1")
    assert base.request_hash() == entry(*lines, idempotency_key="k2").request_hash()
    assert base.request_hash() != entry(PostingLine("A", 2), PostingLine("B", -2)).request_hash()
    assert base.request_hash() != EntryRequest(date(2026, 11, 25), "test", lines).request_hash()
    reversal = ReversalRequest(1, DAY, "refund")
    assert reversal.request_hash() != ReversalRequest(2, DAY, "refund").request_hash()


@given(st.lists(st.tuples(st.sampled_from("ABC"), AMOUNTS, st.sampled_from([None, "R"]))))
def test_reversal_lines_negate_every_leg(legs: list[tuple[str, int, str | None]]) -> None:
    postings = [Posting(code, amount, "GBP", key) for code, amount, key in legs]
    reversed_ = reversal_lines(postings)
    assert [
        (r.account_code, r.amount_pence + p.amount_pence, r.sub_account_key)
        for r, p in zip(reversed_, postings, strict=True)
    ] == [(p.account_code, 0, p.sub_account_key) for p in postings]
