"""Closed value sets from the upload format: roles, grades, languages and the like."""

from __future__ import annotations

ID_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._-/@:"
ID_MAX_LENGTH = 255
ID_PATTERN = rf"[0-9A-Za-z._\-/@:]{{1,{ID_MAX_LENGTH}}}"  # what ID_CHARACTERS spell, as a regex
# What Python's \s matches, written out: pandas runs a pattern with \s through Python's re a row at a
# time, one without it through Arrow's engine over the whole column. U+3000 is the last (a test looks at
# every code point).
_WHITESPACE = "".join(character for character in map(chr, range(0x3001)) if character.isspace())


def _none_of(more: str = "") -> str:
    return rf"[^@{_WHITESPACE},;<>()\[\]\"{more}]"


EMAIL_PATTERN = rf"{_none_of()}+@{_none_of()}+\.{_none_of('.')}{{2,}}"
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
_HOUR, _MINUTE, _SECOND = r"([01]\d|2[0-3])", r"[0-5]\d", r"([0-5]\d|60)"
_TIME = rf"{_HOUR}:{_MINUTE}(:{_SECOND}(\.\d{{1,9}})?)?"
DATETIME_PATTERN = rf"{DATE_PATTERN}([T ]{_TIME}(Z|[+-]{_HOUR}:?{_MINUTE})?)?"

STUDENT_ROLES = frozenset({"student"})
STAFF_ROLES = frozenset({"teacher", "aide", "proctor", "administrator"})
GUARDIAN_ROLES = frozenset({"parent", "guardian", "relative"})
USER_ROLES = STUDENT_ROLES | STAFF_ROLES | GUARDIAN_ROLES
ENROLLMENT_ROLES = STUDENT_ROLES | STAFF_ROLES

STATUSES = frozenset({"active", "tobedeleted"})
STATUS_ALIASES = {"inactive": "tobedeleted"}
BOOLEANS = frozenset({"true", "false"})
CLASS_TYPES = frozenset({"homeroom", "scheduled"})
RELATIONSHIPS = frozenset({"parent", "guardian", "relative", "other"})
ORG_TYPES = frozenset({"department", "school", "district", "local", "state", "national"})
SCHOOL_ORG_TYPE = "school"

CEDS_GRADES = frozenset(
    ["IT", "PR", "PK", "TK", "KG", *[f"{n:02d}" for n in range(1, 14)], "PS", "UG", "Other"]
)
# Spellings real SIS exports use, read as the CEDS code with a warning.
GRADE_ALIASES = {
    "K": "KG",
    "k": "KG",
    "kg": "KG",
    "pk": "PK",
    "tk": "TK",
    "other": "Other",
    **{str(n): f"{n:02d}" for n in range(1, 10)},
}

MAX_GUARDIANS_PER_STUDENT = 6

KNOWN_ATTRIBUTES = ("iep", "504", "ell", "frl", "gifted", "homeLanguage", "birthDate")
BOOLEAN_ATTRIBUTES = frozenset({"iep", "504", "ell", "frl", "gifted"})

ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bh",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)
