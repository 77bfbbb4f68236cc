"""Curated decisions that turn the ESCO and O*NET label lists into a vocabulary for text.

The taxonomies are written for people browsing a catalogue, not for finding mentions in
resumes and job postings. Four problems, and what the build decides about each (the build,
``_build.py``, applies these rules; the spaCy component, ``_matcher.py``, applies the
context rule):

1. **Labels nobody writes.** ESCO phrases such as "apply anti-oppressive practices in social
   services" and O*NET names such as "Oracle Primavera Enterprise Project Portfolio
   Management" almost never occur verbatim. Forms of more than ``MAX_FORM_TOKENS`` words
   are dropped, and the short names people do write are derived from O*NET's long ones:
   without the vendor ("Adobe Photoshop" -> "Photoshop", one vendor at most), without a
   trailing "software" ("Salesforce software" -> "Salesforce"), the acronym alone when it
   really abbreviates the words before it ("Structured query language SQL" -> "SQL"),
   "MS" for "Microsoft". A short name left by dropping a vendor that is a phrase of
   ordinary words used in lower case in the taxonomies' own text names a field, not the
   product ("Oracle Hyperion Financial Management" -> "Financial Management"): it is not
   kept. ``ALIASES`` adds the few spellings no rule derives ("Power Point", "SPSS").
   ESCO's parenthesised qualifiers are dropped from forms ("Python (computer
   programming)" is matched as "Python"). ESCO alternative labels come only from the
   digital, language and green collections: the merged skills file lost their
   separators.

2. **Names that are ordinary words.** Many products and languages are spelt like English
   words: R, C, Go, Excel, Word, Access, Outlook, Chef, Puppet, Swift, Salt, Unity,
   Canvas, Safari, Keynote. A word is *ordinary* when it (or its dictionary form) is in the
   WordNet index shipped with the spaCy English pipeline **and** it occurs in lower case
   in the taxonomies' own descriptions, task statements and occupation labels (evidence
   that the lower-case word is in common use), or it is listed in ``ORDINARY_WORDS``.
   "python" and "java" are in WordNet but never lower-case in that text, so they stay
   case-insensitive; ``DISTINCTIVE_NAMES`` pins such decisions.

   - Ordinary names, names of one or two letters, and short names derived from an O*NET
     name that are dictionary words are matched **case-sensitively** ("R" but not "r",
     "Go" but not "go") and flagged **ambiguous**.
   - The spaCy component keeps an ambiguous mention only when it is a list item (a
     separator such as "," "|" "/" "and" or a line break next to it) with another skill a
     few tokens away in the same sentence, another *technology* for an ambiguous
     technology ("R, Python, SQL" keeps R; "Go to the office" keeps nothing; "Executive
     Chef, food safety" does not keep Chef, the configuration tool); or when a capitalised
     name of three letters or more stands alone in lower-case prose ("tracked in Access
     for"); never when it is glued by a hyphen or slash to a short word ("A/R", "C-level").
   - A short name derived from an O*NET name that is an ordinary word ("Microsoft
     Project" -> "Project", "Google Docs" -> "Docs", "Oracle Database" -> "Database") is
     dropped, unless ``KEEP_AMBIGUOUS`` keeps it because people write it bare (Excel,
     Word, Access, Outlook, Illustrator …).
   - Of the names of one or two characters only ``SHORT_FORMS`` are kept at all ("AR",
     "PM", "IT", "ML" mean something else in most resumes).
   - Acronyms of up to five capitals are case-sensitive ("SAN" is not "San Diego").
   - Language names are capitalised, so they are case-sensitive, but they are skills
     wherever they appear ("Fluent in Spanish"); only ``AMBIGUOUS_LANGUAGES`` ("Polish the
     floors") need context.

3. **Terms too generic to mean a skill.** Some ESCO labels are everyday words
   ("communication", "plan", "energy", "history") that match in nearly every resume and
   say nothing about the candidate; some O*NET names are software categories ("Email
   software" -> "email"), or the employer's name in its own postings ("Google").
   ``STOPLIST`` names the surface forms never matched in text; ``SkillVocabulary.lookup``
   still finds them, since a caller who passes "communication" as a skill means it. The
   list was made by matching 200 real resumes and 300 real job postings and reading the
   most frequent matches.

4. **Two taxonomies, one concept.** When an O*NET technology name (or a short name
   derived from it) equals an ESCO label, both are one concept with the ESCO URI as id;
   the O*NET names become surface forms and the O*NET hot-technology flag, in-demand flag
   and commodity category are kept. Acronyms and names of four letters or less link only
   onto an ESCO preferred label written the same way ("R", "C++", "SQL"): O*NET's "POS"
   is point of sale, an ESCO alternative label "PoS" proof of stake. An ESCO alternative
   label links only an O*NET name as written onto a named ESCO tool ("Microsoft Access"),
   never onto a skill that lists many tools ("computer programming"). When two concepts
   claim the same surface form, the stronger source wins (``SOURCE_RANK``): curated
   alias, ESCO preferred label, O*NET name, short name derived from an O*NET name, ESCO
   alternative label (looser: "SAP" is one of "SAP Data Services"); then the technology
   used by more O*NET occupations.
"""

from __future__ import annotations

from typing import Final

#: Longest surface form kept, in whitespace-separated words.
MAX_FORM_TOKENS: Final = 6

#: Longest surface form kept, in characters.
MAX_FORM_CHARS: Final = 60

#: Stronger sources win a surface form claimed by two concepts (lower is stronger).
SOURCE_RANK: Final = {
    "alias": 0,
    "esco_label": 1,
    "onet_name": 2,
    "onet_derived": 3,
    "esco_alt": 4,
}

#: Surface forms (case-folded) that are never matched in text: everyday words that match
#: nearly every document without telling anything about a skill.
STOPLIST: Final = frozenset(
    {
        "communication",
        "plan",
        "energy",
        "history",
        "logic",
        "hair",
        "dies",
        "protein",
        "prayer",
        "migration",
        "consultation",
        "coining",
        "spelling",
        "grammar",
        "cameras",
        "sensors",
        "email",
        "database",
        "web browser",
        "operating system",
        "human resources",
        "ada",
        "act",
        "analyze",
        "google",
    }
)

#: The only surface forms of one or two characters that are kept; the others are mostly
#: initialisms that mean something else in resumes ("AR" accounts receivable, "PM" the
#: time of day, "ML" machine learning rather than the ML language, "IT" the department).
SHORT_FORMS: Final = frozenset({"R", "C", "Go", "C#", "F#", "VB"})

#: Language names that are also ordinary words ("polish the floors", "Latin America"):
#: matched only next to other skills. Other languages are skills wherever they appear.
AMBIGUOUS_LANGUAGES: Final = frozenset({"Polish", "Latin", "Greek", "Georgian"})

#: Lower-case words treated as ordinary English even if the taxonomies' text lacks them.
ORDINARY_WORDS: Final = frozenset(
    {
        "slack",
        "docs",
        "hive",
        "sage",
        "teams",
        "notes",
        "word",
        "excel",
        "access",
        "outlook",
        "office",
        "spring",
        "swift",
        "chef",
        "puppet",
        "make",
        "box",
        "go",
    }
)

#: Lower-case names kept case-insensitive although they are English words: in resumes and
#: job postings they nearly always mean the technology.
DISTINCTIVE_NAMES: Final = frozenset(
    {
        "python",
        "java",
        "javascript",
        "perl",
        "linux",
        "unix",
        "oracle",
        "apache",
        "hadoop",
        "kafka",
        "docker",
        "tableau",
        "jenkins",
        "ruby",
        "matlab",
        "android",
        "sql",
        "html",
        "css",
        "php",
    }
)

#: Short names derived from a longer O*NET name that are ordinary words but that people
#: write bare in skill lists; kept case-sensitive and ambiguous (context required).
KEEP_AMBIGUOUS: Final = frozenset(
    {
        "Excel",
        "Word",
        "Access",
        "Outlook",
        "Illustrator",
        "Acrobat",
        "Publisher",
        "Flash",
        "Chrome",
        "Teams",
        "Blackboard",
    }
)

#: Extra surface forms that no rule derives: form -> O*NET example name or ESCO preferred
#: label (as written in the source). Forms with a capital letter keep their case only if
#: the case rules say so.
ALIASES: Final = {
    "Power Point": "Microsoft PowerPoint",
    "MS Power Point": "Microsoft PowerPoint",
    "MS Office": "Microsoft Office software",
    "MS Office Suite": "Microsoft Office software",
    "Microsoft Office Suite": "Microsoft Office software",
    "SPSS": "IBM SPSS Statistics",
    "QuickBooks": "Intuit QuickBooks",
    "Lotus Notes": "IBM Lotus Notes",
    "AWS": "Amazon Web Services AWS software",
    "Google Suite": "Google Workspace software",
    "G Suite": "Google Workspace software",
    ".NET": "Microsoft .NET Framework",
    "T-SQL": "Microsoft transact-structural query language T-SQL",
}

#: First words that are not vendors although many O*NET names start with them.
NOT_VENDORS: Final = frozenset({"the", "open", "visual", "real", "time", "3d"})

#: Vendors whose names are ordinary words (so the automatic vendor rule misses them).
VENDORS: Final = frozenset(
    {"Microsoft", "Apple", "Google", "IBM", "Sage", "SAP", "Oracle", "Adobe", "Apache", "Amazon"}
)

#: Words that continue a vendor's name ("Avid Technology Pro Tools" -> "Pro Tools").
CORPORATE_WORDS: Final = frozenset(
    {"software", "systems", "technology", "technologies", "research", "solutions", "corporation"}
)

#: Two-word vendor prefixes.
VENDOR_PREFIXES: Final = ("The MathWorks",)

#: Abbreviations in job titles, expanded before lookup.
TITLE_ABBREVIATIONS: Final = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "jnr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "eng": "engineer",
    "engr": "engineer",
    "dev": "developer",
    "devs": "developer",
    "admin": "administrator",
    "asst": "assistant",
    "assoc": "associate",
    "exec": "executive",
    "dir": "director",
    "tech": "technician",
    "techs": "technician",
    "coord": "coordinator",
    "spec": "specialist",
    "rep": "representative",
    "reps": "representative",
    "acct": "accountant",
    "hr": "human resources",
    "qa": "quality assurance",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "ceo": "chief executive officer",
    "cfo": "chief financial officer",
    "cto": "chief technology officer",
    "coo": "chief operating officer",
    "cio": "chief information officer",
    "rn": "registered nurse",
    "lpn": "licensed practical nurse",
    "cna": "certified nursing assistant",
    "swe": "software engineer",
    "pm": "project manager",
    "ui": "user interface",
    "ux": "user experience",
}

#: Seniority and grade words dropped from a title before the second lookup.
TITLE_SENIORITY: Final = frozenset(
    {
        "senior",
        "junior",
        "principal",
        "staff",
        "lead",
        "entry",
        "level",
        "trainee",
        "experienced",
        "i",
        "ii",
        "iii",
        "iv",
        "v",
        "1",
        "2",
        "3",
        "4",
        "5",
    }
)

#: Separators after which a title carries a qualifier ("Engineer - Backend", "Nurse, ICU").
TITLE_QUALIFIER_SEPARATORS: Final = (" - ", " | ", ",", "(", " / ", " at ", " @ ", ":")

#: Lines that are section headings or labels, never job titles.
NOT_TITLES: Final = frozenset(
    {
        "experience",
        "work experience",
        "professional experience",
        "employment history",
        "education",
        "skills",
        "summary",
        "professional summary",
        "objective",
        "accomplishments",
        "certifications",
        "references",
        "languages",
        "interests",
        "highlights",
        "projects",
        "contact",
    }
)

__all__ = [
    "ALIASES",
    "AMBIGUOUS_LANGUAGES",
    "CORPORATE_WORDS",
    "DISTINCTIVE_NAMES",
    "KEEP_AMBIGUOUS",
    "MAX_FORM_CHARS",
    "MAX_FORM_TOKENS",
    "NOT_TITLES",
    "NOT_VENDORS",
    "ORDINARY_WORDS",
    "SHORT_FORMS",
    "SOURCE_RANK",
    "STOPLIST",
    "TITLE_ABBREVIATIONS",
    "TITLE_QUALIFIER_SEPARATORS",
    "TITLE_SENIORITY",
    "VENDORS",
    "VENDOR_PREFIXES",
]
