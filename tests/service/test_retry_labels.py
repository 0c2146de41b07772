"""A retry's analysis label: the original's plus ` (retry N)`, counting on through retries."""

from __future__ import annotations

from bot.service.launch.retry import _retry_label


def test_the_first_retry_of_a_batch_is_retry_1() -> None:
    assert _retry_label("QSIPrep_2024-01-08_qsiprep-hpc_0.4.0", 0) == (
        "QSIPrep_2024-01-08_qsiprep-hpc_0.4.0 (retry 1)"
    )


def test_a_later_retry_or_a_retry_of_a_retry_counts_on() -> None:
    assert _retry_label("QSIPrep_x", 1) == "QSIPrep_x (retry 2)"  # the first one launched
    assert _retry_label("QSIPrep_x (retry 1)", 0) == "QSIPrep_x (retry 2)"
    assert _retry_label("QSIPrep_x (retry 2)", 1) == "QSIPrep_x (retry 4)"
    assert _retry_label("QSIPrep (retry 1) x", 0) == "QSIPrep (retry 1) x (retry 1)"
