"""The score fields on ``party.party`` and the ``matching`` user application."""

from trytond.model import fields
from trytond.pool import PoolMeta

# What the routes read and write, by the name matching uses (see matching.crm.FIELDS).
SCORE_FIELDS = {
    "score": "matching_score",
    "rank": "matching_rank",
    "requisition_id": "matching_requisition",
    "reasons": "matching_reasons",
    "model": "matching_model",
    "scored_at": "matching_scored_at",
}


class Party(metaclass=PoolMeta):
    __name__ = "party.party"

    matching_score = fields.Float("Matching Score", digits=(5, 2))
    matching_rank = fields.Integer("Matching Rank")
    matching_requisition = fields.Char("Matching Requisition")
    matching_reasons = fields.Text("Matching Reasons")
    matching_model = fields.Char("Matching Model")
    matching_scored_at = fields.DateTime("Matching Scored At")


class UserApplication(metaclass=PoolMeta):
    __name__ = "res.user.application"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.application.selection.append(("matching", "Matching"))
