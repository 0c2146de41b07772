"""Conformance: what Flywheel shows of a batch, and to whom.

A batch-API launch whose answer is lost can only be found again through what Flywheel
lets fwbot's plain key read, so these pin exactly that. Sources: Flywheel core's
``BatchHandler`` (``api/jobs/handlers.py``: ``get_all``, ``get``, ``post_with_jobs``,
``cancel``, ``_check_permission``) and ``api/jobs/batch.py`` (``insert``, ``run``), in
scitran/core and its later flywheel-io versions; the SDK 23.0.0 models ``Batch``,
``PremadeJobsBatchProposal`` and ``PremadeJobsBatchJobOutput`` and ``BatchApi`` docstrings.
"""

from __future__ import annotations

from typing import Any

from localfw.server import LocalFlywheel
from tests.fixtures.localfw import EDITOR
from tests.localfw.helpers import client_for, license_file, premade, project, qsiprep, raw


def proposal(fw: Any, tags: list[str], sessions: int = 2) -> Any:
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    jobs = [premade(gear, s, lic, tags=tags) for s in p.sessions.find(limit=sessions)]
    return fw.create_batch_job_from_jobs({"jobs": jobs})


def test_a_proposals_jobs_are_shown_only_in_the_answer_that_makes_it(
    localfw: LocalFlywheel, fw: Any
) -> None:
    """post_with_jobs sets ``job_['batch']`` on every premade job, stores
    ``{'proposal': {'preconstructed_jobs': jobs_}, 'origin', 'state': 'pending', '_id'}``
    (batch.insert adds ``created``/``modified``) and returns that document, proposal
    included (SDK: PremadeJobsBatchProposal has ``proposal``). ``get_all`` and ``get`` read
    with projection ``{'proposal': 0}`` (SDK: Batch and PremadeJobsBatchJobOutput have no
    ``proposal``): once that answer is lost, no call shows the jobs or their tags. A premade
    batch has no ``gear_id`` nor ``config``; ``jobs`` exists only once batch.run set it."""
    made = proposal(fw, tags=["fwbot:b2222"])

    premade_jobs = made.proposal.preconstructed_jobs
    assert [j.tags for j in premade_jobs] == [["fwbot:b2222"], ["fwbot:b2222"]]
    assert {j.batch for j in premade_jobs} == {made.id}
    assert made.state == "pending" and made.origin.id == "fwbot@example.org"
    status, listed = raw(localfw, "GET", "/batch")
    status_one, one = raw(localfw, "GET", f"/batch/{made.id}")
    assert status == status_one == 200
    for doc in (next(d for d in listed if d["_id"] == made.id), one):
        assert doc["state"] == "pending" and doc["origin"]["id"] == "fwbot@example.org"
        assert not {"proposal", "gear_id", "config", "jobs"} & set(doc), doc
        assert "fwbot:b2222" not in str(doc)
    [listed_model] = fw.get_all_batches()
    assert listed_model.id == made.id and listed_model.jobs is None

    jobs = fw.start_batch(made.id)

    _, after = raw(localfw, "GET", f"/batch/{made.id}")
    assert after["jobs"] == [j.id for j in jobs] and "proposal" not in after


def test_get_batch_lists_the_callers_own_batches_a_site_admin_everyones(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    """get_all: ``query = {'origin.id': self.uid}`` unless the caller is a site admin
    ('Site admins see all batch jobs'); SDK get_all_batches: 'Get a list of batch jobs the
    user has created.' Another user's pending proposal is neither listed nor readable
    (``_check_permission``: 403)."""
    editor = client_for(localfw, EDITOR)
    mine = proposal(fw, tags=["fwbot:b3333"])
    theirs = proposal(editor, tags=["by-hand"])

    assert [b.id for b in fw.get_all_batches()] == [mine.id]
    assert [b.id for b in editor.get_all_batches()] == [theirs.id]
    assert sorted(b.id for b in admin_fw.get_all_batches()) == sorted([mine.id, theirs.id])
    assert raw(localfw, "GET", f"/batch/{theirs.id}")[0] == 403


def test_a_pending_proposal_can_be_run_but_not_cancelled(
    localfw: LocalFlywheel, fw: Any
) -> None:
    """cancel: ``if batch_job.get('state') != 'running': abort(400, 'Can only cancel
    started batch jobs.')`` (BATCH_JOB_TRANSITIONS: cancelled only from running); SDK
    cancel_batch: 'Moves a 'running' batch job to 'cancelled'.' A proposal nobody ran stays
    pending, runnable by its origin or a site admin, and nothing can withdraw it."""
    made = proposal(fw, tags=["fwbot:b4444"])

    status, body = raw(localfw, "POST", f"/batch/{made.id}/cancel")

    assert (status, body["message"]) == (400, "Can only cancel started batch jobs.")
    assert fw.get_batch(made.id).state == "pending"
    assert len(fw.start_batch(made.id)) == 2
