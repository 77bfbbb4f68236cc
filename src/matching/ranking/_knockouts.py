"""Knock-out rules: hard requirements reported beside the score, never folded into it."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from matching.errors import ConfigError, Errors
from matching.features import PreparedCandidate, location_match
from matching.schemas import Knockout, Requisition

_JOB_NEEDS_AUTH = re.compile(
    r"authori[sz]ed to work|work authori[sz]ation|without (?:visa )?sponsorship|"
    r"(?:no|not|unable to) (?:provide |offer )?(?:visa )?sponsorship|right to work",
    re.I,
)
_HAS_AUTH = re.compile(
    r"authori[sz]ed to work|(?:u\.?s\.?|us) citizen|permanent resident|green card|"
    r"right to work|work permit|no sponsorship required",
    re.I,
)
RULES = ("min_years", "location", "work_authorization")
_NEEDS_SPONSOR = re.compile(r"(?:require|need)s? (?:visa )?sponsorship", re.I)


@dataclass(frozen=True)
class KnockoutRules:
    """Which hard requirements to check (configure per deployment or per requisition)."""

    min_years: bool = True
    location: bool = False
    work_authorization: bool = False

    @classmethod
    def from_names(cls, names: Iterable[str]) -> KnockoutRules:
        """Rules switched on by name (``min_years``, ``location``, ``work_authorization``).

        Raises ``ConfigError`` (E203) for an unknown name.
        """
        chosen = {n.strip() for n in names if n.strip()}
        unknown = chosen - set(RULES)
        if unknown:
            raise ConfigError(
                Errors.E203,
                name="MATCHING_KNOCKOUTS",
                value=",".join(sorted(unknown)),
                detail=f"known rules are {', '.join(RULES)}",
            )
        return cls(**{rule: rule in chosen for rule in RULES})

    @classmethod
    def from_settings(cls) -> KnockoutRules:
        """The rules named in ``MATCHING_KNOCKOUTS`` (default ``min_years``)."""
        from matching.settings import get_settings

        return cls.from_names(get_settings().knockouts.split(","))

    def check(
        self, requisition: Requisition, text: str, candidate: PreparedCandidate
    ) -> list[Knockout]:
        """The outcome of each enabled rule that applies to ``requisition``."""
        out: list[Knockout] = []
        required = requisition.min_years_experience
        if self.min_years and required is not None:
            years = candidate.profile.total_experience_years
            if years is None:
                out.append(
                    Knockout(
                        rule="min_years",
                        status="unknown",
                        detail=f"requires {required:g} years; the resume's dates give no total",
                    )
                )
            else:
                status = "pass" if years >= required else "fail"
                out.append(
                    Knockout(
                        rule="min_years",
                        status=status,
                        detail=f"{years:g} of {required:g} required years",
                    )
                )
        if self.location and requisition.remote != "remote" and requisition.location:
            match = location_match(candidate.profile.location, requisition)
            if math.isnan(match):
                out.append(
                    Knockout(
                        rule="location",
                        status="unknown",
                        detail=f"job in {requisition.location}; candidate location unknown",
                    )
                )
            else:
                status = "pass" if match > 0 else "fail"
                out.append(
                    Knockout(
                        rule="location",
                        status=status,
                        detail=f"job in {requisition.location}; "
                        f"candidate in {candidate.profile.location}",
                    )
                )
        if self.work_authorization and _JOB_NEEDS_AUTH.search(text):
            if _NEEDS_SPONSOR.search(candidate.normalized_text):
                out.append(
                    Knockout(
                        rule="work_authorization",
                        status="fail",
                        detail="the resume states that sponsorship is needed",
                    )
                )
            elif _HAS_AUTH.search(candidate.normalized_text):
                out.append(
                    Knockout(
                        rule="work_authorization",
                        status="pass",
                        detail="the resume states work authorisation",
                    )
                )
            else:
                out.append(
                    Knockout(
                        rule="work_authorization",
                        status="unknown",
                        detail="the resume does not say; ask the candidate",
                    )
                )
        return out
