"""The secret canary: with unique canary secrets set, every ``mplat`` command (with
``-vv`` request logging, ``--json`` and ``--dry-run``), including failing runs whose
vendor errors echo the credentials back, is run as a real process against the fakes.
No canary may appear in any stdout or stderr, nor in any byte of the activation log or
the mock's state (SQLite files and their WAL/SHM companions)."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    OAUTH_CLIENT_ID,
    HubSpotRig,
    MarketoRig,
    PardotRig,
    SfmcRig,
    hubspot_post,
    log_path,
    marketo_email,
    mplat,
    pardot_email,
    sfmc_email,
    write_content,
)
from .faults import serve

pytestmark = pytest.mark.slow

MARKETO_CANARY = "canary-mkto-client-secret-5e1f0a"
HUBSPOT_TOKEN_CANARY = "canary-hs-access-token-9b7d21"
HUBSPOT_SECRET_CANARY = "canary-hs-client-secret-44c2e8"
HUBSPOT_REFRESH_CANARY = "canary-hs-refresh-token-d03a6f"
MAILCHIMP_CANARY = "canary0mailchimp0key0c1d2e3-us21"
CANARIES = [
    MARKETO_CANARY,
    HUBSPOT_TOKEN_CANARY,
    HUBSPOT_SECRET_CANARY,
    HUBSPOT_REFRESH_CANARY,
    MAILCHIMP_CANARY,
]
BASE_ENV = {
    "MARKETO_CLIENT_SECRET": MARKETO_CANARY,
    "HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN_CANARY,
    "HUBSPOT_CLIENT_ID": OAUTH_CLIENT_ID,
    "HUBSPOT_CLIENT_SECRET": HUBSPOT_SECRET_CANARY,
    "HUBSPOT_REFRESH_TOKEN": HUBSPOT_REFRESH_CANARY,
    "MAILCHIMP_API_KEY": MAILCHIMP_CANARY,
}


class Runs:
    """Every command run, with its output, for the final scan."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.done: list[tuple[tuple[str, ...], subprocess.CompletedProcess[str]]] = []
        self.seconds: list[tuple[float, tuple[str, ...]]] = []

    def __call__(self, *args: str, code: int | None = 0, **env: str) -> subprocess.CompletedProcess[str]:
        result = mplat(*args, env={**self.env, **env})
        self.done.append((args, result))
        if code is not None:
            assert result.returncode == code, (args, result.stdout, result.stderr)
        return result

    def many(self, *commands: tuple[str, ...], code: int | None = 0) -> None:
        """Independent commands, run side by side (each is still its own process)."""
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda args: self(*args, code=code), commands))

    def common(self, platform: str, good: Path) -> str:
        """The commands every platform goes through; returns the succeeded activation's id."""
        self.many(
            ("-vv", "check", "-p", platform),
            ("check", "-p", platform, "--json"),
            ("-vv", "activate", str(good), "-p", platform, "--dry-run"),
            ("activate", str(good), "-p", platform, "--dry-run", "--json"),
        )
        result = self("-vv", "activate", str(good), "-p", platform, "--json")
        (activation,) = json.loads(result.stdout)["activations"]
        assert activation["state"] == "succeeded"
        return str(activation["id"])

    def after(self, succeeded: str, *extra: tuple[str, ...]) -> None:
        self.many(
            ("-vv", "log"),
            ("log", "--json", "--limit", "50"),
            ("-vv", "status", succeeded),
            ("status", succeeded, "--json"),
            *extra,
        )

    def leaks(self, secrets: list[str]) -> list[str]:
        found = []
        for args, result in self.done:
            for secret in secrets:
                for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
                    if secret in text:
                        found.append(f"{secret!r} in {stream} of mplat {' '.join(args)}")
        for path in sorted(log_path().parent.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                found += [f"{secret!r} in {path.name}" for secret in secrets if secret.encode() in data]
        return found


def echoed_and_masked(run: Runs) -> bool:
    """The vendor's echo reached the user, with the secret masked (the test is live)."""
    return any("***" in result.stdout + result.stderr for args, result in run.done if "replay" in args)


def bearer(environ: dict[str, Any]) -> str:
    return str(environ.get("HTTP_AUTHORIZATION", "")).removeprefix("Bearer ")


def marketo_echo(code: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A Marketo error envelope whose message echoes the caller's access token."""

    def body(environ: dict[str, Any]) -> dict[str, Any]:
        message = f"Access token {bearer(environ)} cannot do this; client_secret={MARKETO_CANARY}"
        return {"requestId": "e#1", "success": False, "errors": [{"code": code, "message": message}]}

    return body


def test_marketo_commands_never_show_a_secret(
    marketo_rig_factory: Callable[..., MarketoRig], tmp_path: Path
) -> None:
    rig = marketo_rig_factory(window_calls=10_000, client_secret=MARKETO_CANARY)
    env = {**rig.env, **BASE_ENV}
    run = Runs(env)
    good = write_content(tmp_path, "good.yaml", marketo_email("Canary news", "Canary program"))
    bad = write_content(tmp_path, "bad.yaml", marketo_email("Canary bad", "Canary bad program"))
    succeeded = run.common("marketo", good)

    rig.faults.add("respond", "POST", r"/emails\.json", status=200, body=marketo_echo("709"), times=2)
    run("-vv", "activate", str(bad), "-p", "marketo", "--json", code=1)
    run("-vv", "replay", "--failed", code=1)  # the table shows the error too
    run("-vv", "replay", "--failed", "--json")
    rig.faults.add("respond", "GET", r"/emailTemplates\.json", status=200, body=marketo_echo("603"))
    run("-vv", "marketo", "templates", "list", code=1)
    identity_echo = {
        "error": "invalid_client",
        "error_description": f"Bad client credentials {MARKETO_CANARY}",
    }
    rig.faults.add("respond", "POST", r"^/identity/", status=401, body=identity_echo, times=2)
    run.many(("-vv", "check", "-p", "marketo"), ("check", "-p", "marketo", "--json"), code=1)
    run.after(succeeded, ("-vv", "marketo", "templates", "list", "--json"))

    assert len(rig.emails("Canary bad")) == 1  # the failing run was replayed to success
    assert echoed_and_masked(run)
    assert run.leaks(CANARIES) == []


def test_marketo_access_token_echoed_by_the_vendor_is_redacted(
    marketo_rig_factory: Callable[..., MarketoRig], tmp_path: Path
) -> None:
    rig = marketo_rig_factory(window_calls=10_000, client_secret=MARKETO_CANARY)
    run = Runs({**rig.env, **BASE_ENV})
    bad = write_content(tmp_path, "bad.yaml", marketo_email("Echo news", "Echo program"))
    rig.faults.add("respond", "POST", r"/emails\.json", status=200, body=marketo_echo("709"))
    run("-vv", "activate", str(bad), "-p", "marketo", "--json", code=1)
    issued = list(rig.fake._tokens)
    assert issued
    assert run.leaks(issued) == []


def hubspot_echo(category: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def body(environ: dict[str, Any]) -> dict[str, Any]:
        token = bearer(environ)
        return {
            "status": "error",
            "message": f"token {token} was refused",
            "category": category,
            "errors": [{"message": f"bad token {token}", "in": token}],
        }

    return body


def _hubspot(factory: Callable[..., HubSpotRig]) -> HubSpotRig:
    return factory(
        token=HUBSPOT_TOKEN_CANARY,
        oauth_clients={OAUTH_CLIENT_ID: HUBSPOT_SECRET_CANARY},
        refresh_tokens=(HUBSPOT_REFRESH_CANARY,),
    )


def test_hubspot_commands_never_show_a_secret(
    hubspot_rig_factory: Callable[..., HubSpotRig], tmp_path: Path
) -> None:
    rig = _hubspot(hubspot_rig_factory)
    run = Runs({**rig.env, **BASE_ENV})
    good = write_content(tmp_path, "good.json", hubspot_post("Canary post", "Canary campaign"))
    bad = write_content(tmp_path, "bad.json", hubspot_post("Canary bad", "Canary bad campaign"))
    succeeded = run.common("hubspot", good)

    posts = r"^/cms/v3/blogs/posts$"
    rig.faults.add("respond", "POST", posts, status=400, body=hubspot_echo("VALIDATION_ERROR"))
    run("-vv", "activate", str(bad), "-p", "hubspot", "--json", code=1)
    rig.faults.add("respond", "POST", posts, status=401, body=hubspot_echo("INVALID_AUTHENTICATION"))
    run("-vv", "replay", "--failed", code=1)
    run("-vv", "replay", "--failed", "--json")
    rig.faults.add("respond", "GET", r"^/marketing/v3/campaigns$", status=403, body=hubspot_echo("FORBIDDEN"))
    run("-vv", "check", "-p", "hubspot", code=1)
    run.after(succeeded)

    assert len(rig.posts("Canary bad")) == 1
    assert echoed_and_masked(run)
    assert run.leaks(CANARIES) == []


def test_hubspot_oauth_commands_never_show_a_secret(
    hubspot_rig_factory: Callable[..., HubSpotRig], tmp_path: Path
) -> None:
    """OAuth: the refresh token and client secret travel in the token request, and the
    access token HubSpot issues is a secret too."""
    rig = _hubspot(hubspot_rig_factory)
    run = Runs({**rig.env, **BASE_ENV, "HUBSPOT_ACCESS_TOKEN": ""})
    post = write_content(tmp_path, "oauth.json", hubspot_post("Canary oauth", "Canary campaign"))
    run("-vv", "check", "-p", "hubspot")
    run("-vv", "activate", str(post), "-p", "hubspot", "--dry-run")
    rig.faults.add(
        "respond", "POST", r"^/cms/v3/blogs/posts$", status=400, body=hubspot_echo("VALIDATION_ERROR")
    )
    run("-vv", "activate", str(post), "-p", "hubspot", "--json", code=1)
    run("-vv", "replay", "--failed", "--json")
    refresh_echo = {
        "status": "BAD_REFRESH_TOKEN",
        "message": f"refresh token {HUBSPOT_REFRESH_CANARY} for secret {HUBSPOT_SECRET_CANARY} is unknown",
    }
    rig.faults.add("respond", "POST", r"^/oauth/v1/token$", status=400, body=refresh_echo)
    run("-vv", "check", "-p", "hubspot", "--json", code=1)
    run("log", "--json")

    assert len(rig.posts("Canary oauth")) == 1
    assert rig.fake.access_tokens  # OAuth really ran
    assert run.leaks([*CANARIES, *rig.fake.access_tokens]) == []


def mailchimp_echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A stand-in Mailchimp that refuses every call, echoing the API key it was sent."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    scheme, _, value = auth.partition(" ")
    key = base64.b64decode(value).decode(errors="replace") if scheme == "Basic" else value
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "API Key Invalid",
            "status": 401,
            "detail": f"Your key {key} is invalid",
        }
    ).encode()
    start_response(
        "401 Unauthorized", [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def test_mock_and_mailchimp_commands_never_show_a_secret(tmp_path: Path) -> None:
    run = Runs(BASE_ENV)
    good = write_content(tmp_path, "good.yaml", marketo_email("Mock news", "Mock program"))
    run.many(("-vv", "platforms"), ("platforms", "--json"))
    succeeded = run.common("mock", good)
    run("-vv", "activate", str(good), "-p", "mock", code=1, MOCK_FAILURES="auth:1")
    run("-vv", "replay", "--failed", code=1)  # the email went out in the first run: blocked
    run.after(succeeded)
    listed = json.loads(next(r.stdout for a, r in run.done if a == ("platforms", "--json")))
    if any(p["name"] == "mailchimp" and p["status"] == "ok" for p in listed):
        with serve(mailchimp_echo) as url:
            run.env["MAILCHIMP_BASE_URL"] = url
            run.many(("-vv", "check", "-p", "mailchimp"), ("check", "-p", "mailchimp", "--json"), code=None)
    assert run.leaks(CANARIES) == []


# ------------------------------------------------- Marketing Cloud and Account Engagement
SFMC_SECRET_CANARY = "canary-sfmc-client-secret-7a3c19"
PARDOT_SECRET_CANARY = "canary-pardot-client-secret-2f81be"
PARDOT_REFRESH_CANARY = "canary-pardot-refresh-token-c94d07"
SALESFORCE_CANARIES = [SFMC_SECRET_CANARY, PARDOT_SECRET_CANARY, PARDOT_REFRESH_CANARY]


def sfmc_echo(status: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A Marketing Cloud error whose message and validation errors echo the caller's
    access token and the client secret."""

    def body(environ: dict[str, Any]) -> dict[str, Any]:
        token = bearer(environ)
        return {
            "message": f"Access token {token} may not do this (client_secret={SFMC_SECRET_CANARY})",
            "errorcode": 0 if status == 401 else 10001,
            "documentation": "https://developer.salesforce.com/docs",
            "validationErrors": [{"message": f"views.html refused for {token}", "errorcode": 10001}],
        }

    return body


def issued_sfmc_tokens(rig: SfmcRig) -> set[str]:
    """Every access token the fake handed out (read back from what was sent to it)."""
    return {r.authorization.removeprefix("Bearer ") for r in rig.fake.requests if r.authorization}


def test_sfmc_commands_never_show_a_secret(sfmc_rig_factory: Callable[..., SfmcRig], tmp_path: Path) -> None:
    rig = sfmc_rig_factory(secret=SFMC_SECRET_CANARY)
    run = Runs({**rig.env, **BASE_ENV})
    good = write_content(tmp_path, "good.yaml", sfmc_email("Canary mail", "Canary journey"))
    bad = write_content(tmp_path, "bad.yaml", sfmc_email("Canary bad", "Canary bad journey"))
    run.many(("-vv", "platforms"), ("platforms", "--json"))
    succeeded = run.common("sfmc", good)
    run("activate", str(good), "-p", "sfmc")  # re-activated: unchanged

    assets = r"^/asset/v1/content/assets$"
    rig.faults.add("respond", "POST", assets, status=400, body=sfmc_echo(400), times=2)
    run("-vv", "activate", str(bad), "-p", "sfmc", "--json", code=1)
    run("-vv", "replay", "--failed", code=1)  # the table shows the error too
    run("-vv", "replay", "--failed", "--json")
    # A 401 echoing the token, twice: one new token (a secret too), then the refusal shown.
    rig.faults.add("respond", "GET", r"^/hub/v1/campaigns$", status=401, body=sfmc_echo(401), times=2)
    run("-vv", "check", "-p", "sfmc", "--json", code=1)
    token_echo = {
        "error": "invalid_client",
        "error_description": f"Client secret {SFMC_SECRET_CANARY} is not valid for this package",
    }
    rig.faults.add("respond", "POST", r"^/v2/token$", status=401, body=token_echo, times=2)
    run.many(("-vv", "check", "-p", "sfmc"), ("check", "-p", "sfmc", "--json"), code=1)
    run.after(succeeded)

    assert len(rig.emails("Canary bad")) == 1  # the failing run was replayed to success
    assert echoed_and_masked(run)
    tokens = issued_sfmc_tokens(rig)
    assert len(tokens) >= 3
    assert run.leaks([*CANARIES, *SALESFORCE_CANARIES, *tokens]) == []


def pardot_echo(code: int, *secrets: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A v5 error whose message echoes the caller's access token and ``secrets``."""

    def body(environ: dict[str, Any]) -> dict[str, Any]:
        return {"code": code, "message": f"access_token {bearer(environ)} refused ({' / '.join(secrets)})"}

    return body


def issued_pardot_tokens(rig: PardotRig) -> set[str]:
    return {
        c.headers["Authorization"].removeprefix("Bearer ")
        for c in rig.fake.requests
        if c.headers.get("Authorization", "").startswith("Bearer ")
    }


@pytest.mark.parametrize("mode", ["refresh_token", "client_credentials"])
def test_pardot_commands_never_show_a_secret(
    pardot_rig_factory: Callable[..., PardotRig], tmp_path: Path, mode: str
) -> None:
    """Both Salesforce OAuth flows: the client secret (and the refresh token) travel in
    the token form; the access tokens Salesforce issues are secrets too."""
    rig = pardot_rig_factory(
        secret=PARDOT_SECRET_CANARY,
        refresh_token=PARDOT_REFRESH_CANARY,
        campaigns=("Canary launch", "Canary bad launch"),
    )
    refresh = {"PARDOT_REFRESH_TOKEN": PARDOT_REFRESH_CANARY} if mode == "refresh_token" else {}
    secrets = [PARDOT_SECRET_CANARY, *refresh.values()]  # what this mplat is given, and echoed
    run = Runs({**rig.env, **BASE_ENV, **refresh})
    good = write_content(tmp_path, "good.yaml", pardot_email("canary-letter", "Canary launch"))
    bad = write_content(tmp_path, "bad.json", pardot_email("canary-bad-letter", "Canary bad launch"))
    run.many(("-vv", "platforms"), ("platforms", "--json"))
    succeeded = run.common("pardot", good)
    run("activate", str(good), "-p", "pardot", code=1)  # re-activated: blocked, already sent

    rig.faults.add(
        "respond",
        "POST",
        r"^/api/v5/objects/list-emails$",
        status=400,
        body=pardot_echo(154, *secrets),
        times=2,
    )
    run("-vv", "activate", str(bad), "-p", "pardot", "--json", code=1)
    run("-vv", "replay", "--failed", code=1)
    run("-vv", "replay", "--failed", "--json")
    # 184 echoing the token, twice: one new token, then the refusal shown.
    rig.faults.add(
        "respond", "GET", r"^/api/v5/objects/account$", status=401, body=pardot_echo(184, *secrets), times=2
    )
    run("-vv", "check", "-p", "pardot", "--json", code=1)
    token_echo = {"error": "invalid_grant", "error_description": f"{' / '.join(secrets)} expired"}
    rig.faults.add("respond", "POST", r"^/services/oauth2/token$", status=400, body=token_echo, times=2)
    run.many(("-vv", "check", "-p", "pardot"), ("check", "-p", "pardot", "--json"), code=1)
    run.after(succeeded)

    assert [r["grant_type"] for r in rig.fake.token_requests] == [mode] * len(rig.fake.token_requests)
    assert len(rig.sends("canary-letter")) == len(rig.sends("canary-bad-letter")) == 1
    assert len(rig.fake.sends) == 2
    assert echoed_and_masked(run)
    tokens = issued_pardot_tokens(rig)
    assert len(tokens) >= 3
    assert run.leaks([*CANARIES, *SALESFORCE_CANARIES, *tokens]) == []
