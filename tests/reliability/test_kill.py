"""The process itself dies: ``mplat activate`` is SIGKILLed between two steps (the fake
holds the request so the test knows where the process is), then ``mplat replay``
finishes the activation in a new process without creating anything twice. Also: two
replays of one activation never run at once (the lease in the log), and two processes
activating content of one new campaign create it once (the campaign lock in the log)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import (
    HubSpotRig,
    MarketoRig,
    hubspot_post,
    marketo_email,
    mplat,
    mplat_popen,
    records,
    write_content,
)

pytestmark = pytest.mark.slow

#: The killed (or lease-holding) process must still be waiting when the test acts on it.
PATIENT = {"MARKETING_PLATFORM_TIMEOUT": "20"}


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=5)
    assert proc.returncode == -signal.SIGKILL


def started(proc: subprocess.Popen[str], reached: object) -> None:
    """Wait until the fake holds the process's request (or fail with its output)."""
    if not reached.wait(15):  # type: ignore[attr-defined]
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"mplat never reached the blocked request: {out} {err}")


@pytest.mark.parametrize("committed", [True, False], ids=["vendor-committed", "vendor-never-saw-it"])
def test_marketo_killed_between_program_and_email(
    marketo: MarketoRig, tmp_path: Path, committed: bool
) -> None:
    path = write_content(tmp_path, "news.yaml", marketo_email("Killed news", "Killed program"))
    rule = marketo.faults.add("block_after" if committed else "block", "POST", r"/emails\.json")
    env = {**marketo.env, **PATIENT}
    proc = mplat_popen("activate", str(path), "--platform", "marketo", "--json", env=env)
    started(proc, rule.reached)
    (running,) = records()
    assert running.state == "in_progress"
    assert set(running.steps) == {"campaign"}  # the program step was recorded before the kill
    kill(proc)
    rule.release.set()
    assert len(marketo.emails("Killed news")) == (1 if committed else 0)

    replay = mplat("replay", "--failed", "--json", env=marketo.env)
    assert replay.returncode == 0, replay.stderr
    (out,) = json.loads(replay.stdout)["activations"]
    assert out["state"] == "succeeded"

    (program,) = marketo.programs("Killed program")
    (email,) = marketo.emails("Killed news")
    assert email["status"] == "approved"
    (record,) = records()
    assert record.state == "succeeded"
    assert record.attempts == 2
    assert record.steps["campaign"]["external_id"] == f"program:{program['id']}"
    assert record.steps["publish"]["external_id"] == f"email:{email['id']}"


def test_hubspot_killed_after_post_created(hubspot: HubSpotRig, tmp_path: Path) -> None:
    path = write_content(tmp_path, "post.json", hubspot_post("Killed post", "Killed campaign"))
    rule = hubspot.faults.add("block_after", "POST", r"^/cms/v3/blogs/posts$")
    proc = mplat_popen("activate", str(path), "--platform", "hubspot", env={**hubspot.env, **PATIENT})
    started(proc, rule.reached)
    kill(proc)
    rule.release.set()
    (killed,) = records()
    assert killed.state == "in_progress"
    assert set(killed.steps) == {"campaign"}
    assert hubspot.posts("Killed post")[0]["state"] == "DRAFT"

    replay = mplat("replay", killed.id[:10], "--json", env=hubspot.env)
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["activations"][0]["state"] == "succeeded"

    (campaign,) = hubspot.campaigns("Killed campaign")
    (post,) = hubspot.posts("Killed post")
    assert post["state"] == "PUBLISHED"
    assert hubspot.fake.campaign_assets[campaign["id"]]["BLOG_POST"] == [post["id"]]
    (record,) = records()
    assert record.state == "succeeded"
    assert record.steps["publish"]["external_id"] == post["id"]


def test_two_replays_of_one_activation_never_run_at_once(marketo: MarketoRig, tmp_path: Path) -> None:
    path = write_content(tmp_path, "news.yaml", marketo_email("Locked news", "Locked program"))
    marketo.faults.add("reset", "POST", r"/programs\.json")
    first = mplat("activate", str(path), "--platform", "marketo", env=marketo.env)
    assert first.returncode == 1, first.stderr
    (failed,) = records()
    assert failed.state == "failed"

    rule = marketo.faults.add("block", "POST", r"/emails\.json")
    holder = mplat_popen("replay", failed.id, env={**marketo.env, **PATIENT})
    started(holder, rule.reached)
    second = mplat("replay", failed.id, "--json", env=marketo.env)
    assert second.returncode == 2
    assert "being run by another process" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    # the second replay sent nothing to create: still no email, one program
    assert marketo.emails("Locked news") == []
    assert len(marketo.programs("Locked program")) == 1
    rule.release.set()
    holder.communicate(timeout=10)
    # the holder's email create was dropped by the fault: it failed and stays replayable
    assert holder.returncode == 1
    final = mplat("replay", "--failed", env=marketo.env)
    assert final.returncode == 0, final.stderr
    assert len(marketo.emails("Locked news")) == 1
    (record,) = records()
    assert record.state == "succeeded"
    assert record.attempts == 3


def waiting_for_lock(proc: subprocess.Popen[str], lock_log: Path, lock: str) -> None:
    """Until ``proc`` (started with ``lock_log=``) has found the lock whose key contains
    ``lock`` held by another process: from then on it cannot go on before that lock is
    released. Fails, with its output, when it never gets there (a lock that does not
    hold across processes, or a process that went on or died)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if lock_log.is_file() and any(lock in key for key in lock_log.read_text().splitlines()):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.02)  # polling a condition, with a deadline: not a sleep used as a wait
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"the second mplat never waited for the lock on {lock}: {out} {err}")


def test_two_processes_sharing_a_new_campaign_create_it_once(hubspot: HubSpotRig, tmp_path: Path) -> None:
    first = write_content(tmp_path, "first.json", hubspot_post("First post", "Shared campaign"))
    second = write_content(tmp_path, "second.json", hubspot_post("Second post", "Shared campaign"))
    # The first process has looked for the campaign (none yet) and is held there; without
    # a lock across processes the second would now find none either and create it, and
    # the first would create it again when released.
    rule = hubspot.faults.add("block_after", "GET", r"^/marketing/v3/campaigns$")
    env = {**hubspot.env, **PATIENT}
    holder = mplat_popen("activate", str(first), "--platform", "hubspot", env=env)
    started(holder, rule.reached)
    lock_log = tmp_path / "lock-waits.txt"
    waiter = mplat_popen("activate", str(second), "--platform", "hubspot", env=env, lock_log=lock_log)
    waiting_for_lock(waiter, lock_log, "campaign 'Shared campaign'")
    assert hubspot.campaigns("Shared campaign") == []

    rule.release.set()
    for proc in (holder, waiter):
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err

    (campaign,) = hubspot.campaigns("Shared campaign")
    assert {record.state for record in records()} == {"succeeded"}
    assert {record.steps["campaign"]["external_id"] for record in records()} == {campaign["id"]}
    assert len(hubspot.posts("First post")) == len(hubspot.posts("Second post")) == 1


def test_two_processes_sharing_a_new_topic_create_its_blog_tag_once(
    hubspot: HubSpotRig, tmp_path: Path
) -> None:
    first = write_content(tmp_path, "first.json", hubspot_post("Tagged one", "Campaign one"))
    second = write_content(tmp_path, "second.json", hubspot_post("Tagged two", "Campaign two"))
    rule = hubspot.faults.add("block_after", "GET", r"^/cms/v3/blogs/tags$")  # found none; held
    env = {**hubspot.env, **PATIENT}
    holder = mplat_popen("activate", str(first), "--platform", "hubspot", env=env)
    started(holder, rule.reached)
    lock_log = tmp_path / "lock-waits.txt"
    waiter = mplat_popen("activate", str(second), "--platform", "hubspot", env=env, lock_log=lock_log)
    waiting_for_lock(waiter, lock_log, "blog tag 'product news'")
    assert hubspot.fake.tags == {}

    rule.release.set()
    for proc in (holder, waiter):
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err

    (tag,) = hubspot.fake.tags.values()
    assert tag["name"] == "Product News"
    (one,), (two,) = hubspot.posts("Tagged one"), hubspot.posts("Tagged two")
    assert one["tagIds"] == two["tagIds"] == [int(tag["id"])]  # int64, as HubSpot types them
