"""The process itself dies on Marketing Cloud and Account Engagement: ``mplat activate``
is SIGKILLed while the fake holds its create (after or before the vendor applied it),
then ``mplat replay`` finishes the activation in a new process. Marketing Cloud ends
with one email asset associated once; Account Engagement never sends a list email
twice (the replay finds the one the killed process sent and leaves it alone)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import PardotRig, SfmcRig, mplat, mplat_popen, pardot_email, records, sfmc_email, write_content
from .test_kill import PATIENT, kill, started

pytestmark = pytest.mark.slow


def test_sfmc_killed_after_the_email_asset_was_created(sfmc: SfmcRig, tmp_path: Path) -> None:
    path = write_content(tmp_path, "mail.yaml", sfmc_email("Killed mail", "Killed journey"))
    rule = sfmc.faults.add("block_after", "POST", r"^/asset/v1/content/assets$")
    proc = mplat_popen("activate", str(path), "--platform", "sfmc", env={**sfmc.env, **PATIENT})
    started(proc, rule.reached)
    (running,) = records()
    assert running.state == "in_progress"
    assert set(running.steps) == {"campaign"}  # the campaign step was recorded before the kill
    kill(proc)
    rule.release.set()
    assert len(sfmc.emails("Killed mail")) == 1  # Content Builder has it; nobody heard back

    replay = mplat("replay", "--failed", "--json", env=sfmc.env)
    assert replay.returncode == 0, replay.stderr
    (out,) = json.loads(replay.stdout)["activations"]
    assert out["state"] == "succeeded"

    (campaign,) = sfmc.campaigns("Killed journey")
    (email,) = sfmc.emails("Killed mail")
    assert len(sfmc.fake.calls("POST", "/asset/v1/content/assets")) == 1  # found, not re-created
    links = sfmc.fake.links[campaign["id"]]
    assert [(link["type"], link["itemID"]) for link in links] == [
        ("EMAIL", str(email["legacyData"]["legacyId"]))
    ]
    (record,) = records()
    assert record.state == "succeeded"
    assert record.attempts == 2
    assert record.steps["campaign"]["external_id"] == campaign["id"]
    assert record.steps["publish"]["external_id"] == str(email["id"])


@pytest.mark.parametrize("committed", [True, False], ids=["vendor-sent-it", "vendor-never-saw-it"])
def test_pardot_killed_during_the_list_email_create(
    pardot: PardotRig, tmp_path: Path, committed: bool
) -> None:
    path = write_content(tmp_path, "letter.yaml", pardot_email("killed-letter"))
    rule = pardot.faults.add(
        "block_after" if committed else "block", "POST", r"^/api/v5/objects/list-emails$"
    )
    proc = mplat_popen("activate", str(path), "--platform", "pardot", env={**pardot.env, **PATIENT})
    started(proc, rule.reached)
    (running,) = records()
    assert running.state == "in_progress"
    kill(proc)
    rule.release.set()
    assert len(pardot.fake.sends) == (1 if committed else 0)

    replay = mplat("replay", "--failed", "--json", env=pardot.env)
    (out,) = json.loads(replay.stdout)["activations"]
    (record,) = records()
    assert record.attempts == 2
    if committed:  # the killed process sent it: found by name, never sent again
        assert replay.returncode == 1, replay.stderr
        assert out["state"] == record.state == "blocked"
        assert "already sent" in record.error["message"]  # type: ignore[index]
    else:
        assert replay.returncode == 0, replay.stderr
        assert out["state"] == record.state == "succeeded"
    (email,) = pardot.list_emails("killed-letter")
    assert [send["listEmailId"] for send in pardot.fake.sends] == [email["id"]]
    assert record.steps["publish"]["external_id"] == f"list_email:{email['id']}"
