"""matching's scores on Tryton parties, read and written over a REST route.

The module adds a "Matching" page to the party form (score, rank, requisition, reasons, model,
scored-at) and REST routes, authenticated by Tryton user application keys (application
``matching``)::

    GET  /<database>/matching/fields           the score fields (checks the module and key)
    GET  /<database>/matching/parties/<id>     the party's name and scores
    PUT  /<database>/matching/parties/<id>     set some or all of the scores
    POST /<database>/matching/parties          create a party (name, optional email)

Activate it with ``trytond-admin -d <database> -u matching_scores --activate-dependencies``.
"""

from trytond.pool import Pool

from . import party, routes

__all__ = ["register", "routes"]


def register() -> None:
    Pool.register(
        party.Party,
        party.UserApplication,
        module="matching_scores",
        type_="model",
    )
