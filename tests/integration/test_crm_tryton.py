"""Write-back into a real CRM: a Tryton server (trytond + the matching_scores module, SQLite)
started by the tests, fed by the real `matching crm sync` process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching._ports import free_port
from matching.crm import FIELDS, LocalTryton, running_tryton
from matching.settings import OFFLINE_ENVIRONMENT
from matching.store import Outbox, Store
from tests.crm_helpers import queue_linked_scores
from tests.integration.test_crm_faults import matching

pytestmark = [pytest.mark.server]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tryton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTryton]:
    with running_tryton(tmp_path_factory.mktemp("tryton")) as server:
        yield server


def api(tryton: LocalTryton, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A call to the module's routes with the application key."""
    return httpx.request(
        method,
        f"{tryton.url}/{tryton.database}/matching{path}",
        headers={"Authorization": f"Bearer {tryton.key}"},
        timeout=10,
        **kwargs,
    )


def new_parties(tryton: LocalTryton, n: int, prefix: str) -> list[str]:
    """``n`` parties created in Tryton; their ids."""
    ids = []
    for i in range(n):
        response = api(
            tryton, "POST", "/parties", json={"name": f"{prefix} {i}", "email": f"p{i}@x.test"}
        )
        assert response.status_code == 200, response.text
        ids.append(str(response.json()["id"]))
    return ids


def party(tryton: LocalTryton, party_id: str) -> dict[str, Any]:
    response = api(tryton, "GET", f"/parties/{party_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def cli_env(home: Path, db: Path, tryton: LocalTryton, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHING_")}
    env.update(OFFLINE_ENVIRONMENT)
    env.update(tryton.settings())
    env.update(
        MATCHING_HOME=str(home),
        MATCHING_DATABASE_URL=f"sqlite:///{db}",
        MATCHING_CRM="tryton",
        MATCHING_CRM_RETRY_BASE_S="0.05",
        MATCHING_CRM_RETRY_CAP_S="0.2",
    )
    env.update({f"MATCHING_{k.upper()}": v for k, v in settings.items()})
    return env


def crm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        matching("crm", *args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def payloads(db: Path) -> dict[str, dict[str, Any]]:
    """The latest delivered payload per contact, from the store."""
    with Store.open(f"sqlite:///{db}") as store:
        return {
            item.contact_id: dict(item.payload) for item in Outbox(store).items(status="delivered")
        }


def test_sync_writes_every_score_into_its_party(tryton: LocalTryton, tmp_path: Path) -> None:
    """30 queued writes land in 30 parties: each holds exactly its score; names are kept."""
    contacts = new_parties(tryton, 30, "Sync")
    db = tmp_path / "store.db"
    queue_linked_scores(db, "tryton", contacts)[0].close()
    env = cli_env(tmp_path, db, tryton)

    done = crm(env, "sync", "--drain")
    assert done.returncode == 0, done.stdout + done.stderr
    assert counts(env) == {"delivered": 30}

    sent = payloads(db)
    for i, contact in enumerate(contacts):
        record = party(tryton, contact)
        assert record["name"] == f"Sync {i}"
        scores = record["scores"]
        assert scores["score"] == pytest.approx(60.0 + i)
        assert scores["rank"] == i + 1
        assert scores["model"] == "m v2"
        assert scores["reasons"].startswith("3 of 4")
        assert {n: scores[n] for n in FIELDS} == {n: sent[contact][n] for n in FIELDS}


def test_a_write_already_in_tryton_is_skipped(tryton: LocalTryton, tmp_path: Path) -> None:
    """Replayed writes whose values are in the party are read, compared and not written."""
    contacts = new_parties(tryton, 3, "Again")
    db = tmp_path / "store.db"
    queue_linked_scores(db, "tryton", contacts)[0].close()
    env = cli_env(tmp_path, db, tryton)
    assert crm(env, "sync", "--drain").returncode == 0
    # Back to pending, as if the worker had died before it recorded the deliveries.
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE crm_outbox SET status = 'pending'")
    done = crm(env, "sync", "--drain")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "delivered 0, already there 3" in done.stdout
    assert counts(env) == {"skipped": 3}


def test_an_unknown_party_is_dead_and_the_others_land(tryton: LocalTryton, tmp_path: Path) -> None:
    """A contact id Tryton does not have is not retried; status names it; the rest land."""
    contacts = [*new_parties(tryton, 2, "Known"), "987654"]
    db = tmp_path / "store.db"
    queue_linked_scores(db, "tryton", contacts)[0].close()
    env = cli_env(tmp_path, db, tryton)
    assert crm(env, "sync", "--drain").returncode == 0
    status = json.loads(crm(env, "status", "--json").stdout)
    assert status["counts"]["tryton"] == {"delivered": 2, "dead": 1}
    (dead,) = status["dead"]
    assert "HTTP 404" in dead["error"]
    assert dead["attempts"] == 1


def test_a_refused_key_exits_1_and_keeps_the_writes(tryton: LocalTryton, tmp_path: Path) -> None:
    """Tryton refuses a key it does not know (403): sync says so, and nothing is spent."""
    contacts = new_parties(tryton, 2, "Refused")
    db = tmp_path / "store.db"
    queue_linked_scores(db, "tryton", contacts)[0].close()
    env = cli_env(tmp_path, db, tryton, tryton_key="not-a-key")
    done = crm(env, "sync", "--drain")
    assert done.returncode == 1
    assert "tryton refused the connection" in done.stderr
    assert "HTTP 403" in done.stderr
    assert counts(env) == {"pending": 2}
    assert all(party(tryton, c)["scores"]["score"] is None for c in contacts)


def test_tryton_down_then_back(tryton: LocalTryton, tmp_path: Path) -> None:
    """With nothing listening the writes wait (retried, not dead); once Tryton answers, they
    land, each once."""
    contacts = new_parties(tryton, 4, "Outage")
    db = tmp_path / "store.db"
    queue_linked_scores(db, "tryton", contacts)[0].close()
    down = cli_env(tmp_path, db, tryton, tryton_url=f"http://127.0.0.1:{free_port()}")
    done = crm(down, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    assert counts(down) == {"pending": 4}
    done = crm(cli_env(tmp_path, db, tryton), "sync", "--drain")
    assert done.returncode == 0, done.stdout + done.stderr
    assert counts(down) == {"delivered": 4}
    for i, contact in enumerate(contacts):
        assert party(tryton, contact)["scores"]["score"] == pytest.approx(60.0 + i)


def counts(env: dict[str, str]) -> dict[str, int]:
    """This store's write counts for Tryton, by state."""
    done = crm(env, "status", "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout)["counts"].get("tryton", {}))


def test_the_module_routes_need_a_valid_key(tryton: LocalTryton) -> None:
    """No key: 401; a wrong key: 403; nothing about a party is returned either way."""
    (contact,) = new_parties(tryton, 1, "Private")
    url = f"{tryton.url}/{tryton.database}/matching/parties/{contact}"
    assert httpx.get(url, timeout=10).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert wrong.status_code == 403
    assert "Private" not in wrong.text


def test_the_module_refuses_what_is_not_a_score(tryton: LocalTryton) -> None:
    """Unknown fields and unreadable times are 400s that change nothing; a time with an
    offset is stored in UTC and read back in UTC."""
    (contact,) = new_parties(tryton, 1, "Strict")
    assert api(tryton, "PUT", f"/parties/{contact}", json={"name": "Changed"}).status_code == 400
    assert api(tryton, "PUT", f"/parties/{contact}", json={"scored_at": "soon"}).status_code == 400
    assert api(tryton, "PUT", f"/parties/{contact}", json=[1, 2]).status_code == 400
    assert party(tryton, contact)["name"] == "Strict 0"
    written = api(
        tryton, "PUT", f"/parties/{contact}", json={"scored_at": "2026-12-01T12:00:00+02:00"}
    )
    assert written.status_code == 200
    assert party(tryton, contact)["scores"]["scored_at"] == "2026-12-01T10:00:00+00:00"
