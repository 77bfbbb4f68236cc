"""REST routes for matching's write-back, behind Tryton user application keys.

A key is requested with ``POST /<database>/user/application/`` (``{"user": login,
"application": "matching"}``) and validated by an administrator in Tryton; it is then sent as
``Authorization: Bearer <key>``. The routes run as the key's user, with that user's access
rights (write access to parties: the "Party Administration" group).
"""

import datetime as dt
from http import HTTPStatus

from trytond.protocols.wrappers import (
    abort,
    allow_null_origin,
    user_application,
    with_pool,
    with_transaction,
)
from trytond.wsgi import app

from .party import SCORE_FIELDS

matching_application = user_application("matching")


def _scores(party):
    out = {}
    for name, field in SCORE_FIELDS.items():
        value = getattr(party, field)
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")
        out[name] = value
    return out


def _party(pool, party_id):
    Party = pool.get("party.party")
    parties = Party.search([("id", "=", party_id)])
    if not parties:
        abort(HTTPStatus.NOT_FOUND)
    return parties[0]


def _values(data):
    if not isinstance(data, dict):
        abort(HTTPStatus.BAD_REQUEST, "expected a JSON object of score values")
    unknown = set(data) - set(SCORE_FIELDS)
    if unknown:
        abort(HTTPStatus.BAD_REQUEST, f"unknown fields: {sorted(unknown)}")
    values = {}
    for name, value in data.items():
        if name == "scored_at" and value is not None:
            try:
                moment = dt.datetime.fromisoformat(str(value))
            except ValueError:
                abort(HTTPStatus.BAD_REQUEST, "scored_at is not an ISO 8601 time")
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
            value = moment
        elif name == "reasons" and value is not None:
            value = str(value)
        values[SCORE_FIELDS[name]] = value
    return values


@app.route("/<database_name>/matching/fields", methods=["GET"])
@allow_null_origin
@with_pool
@with_transaction()
@matching_application
def score_fields(request, pool):
    """What the connector checks first: the module is active and the key is accepted."""
    return {"module": "matching_scores", "fields": sorted(SCORE_FIELDS)}


@app.route("/<database_name>/matching/parties/<int:party_id>", methods=["GET", "PUT"])
@allow_null_origin
@with_pool
@with_transaction()
@matching_application
def party_scores(request, pool, party_id):
    party = _party(pool, party_id)
    if request.method == "PUT":
        Party = pool.get("party.party")
        Party.write([party], _values(request.parsed_data))
        party = _party(pool, party_id)
    return {"id": party.id, "name": party.name, "scores": _scores(party)}


@app.route("/<database_name>/matching/parties", methods=["POST"])
@allow_null_origin
@with_pool
@with_transaction()
@matching_application
def create_party(request, pool):
    data = request.parsed_data
    if not isinstance(data, dict) or not str(data.get("name") or "").strip():
        abort(HTTPStatus.BAD_REQUEST, "a party needs a name")
    Party = pool.get("party.party")
    values = {"name": str(data["name"]).strip()}
    if data.get("email"):
        values["contact_mechanisms"] = [("create", [{"type": "email", "value": data["email"]}])]
    (party,) = Party.create([values])
    return {"id": party.id, "name": party.name, "scores": _scores(party)}
