"""Every validation message of the platform, in one place, lazily translated.

Messages take ``%(name)s`` placeholders and are formatted when rendered, in the
reader's language (the request's locale, or the CLI's ``--lang``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Where a problem is (prefixes of an import problem).
LOC_SECTION = _l("section “%(code)s”")
LOC_QUESTION = _l("question “%(code)s”")
LOC_OPTION = _l("option “%(code)s”")
LOC_ROW = _l("row %(row)s")
LOC_FIELD = _l("field “%(field)s”")

# Files in general.
FILE_UNREADABLE = _l("the file cannot be read: %(reason)s")
FILE_NOT_YAML = _l("the file is not valid YAML: %(reason)s")
FILE_NOT_UTF8 = _l("the file is not UTF-8 text")
FILE_EMPTY = _l("the file contains no data")
CSV_MISSING_COLUMNS = _l("the header lacks the columns: %(columns)s")
CSV_TOO_MANY_VALUES = _l(
    "the row has %(count)s values but the header has %(columns)s columns (is a comma inside a value not quoted?)"
)
CSV_UNKNOWN_COLUMNS = _l("the header has unknown columns: %(columns)s")

# Instrument files.
NOT_A_MAPPING = _l("must be a mapping of keys to values")
NOT_A_LIST = _l("must be a non-empty list")
UNKNOWN_KEY = _l("unknown key “%(key)s”")
REQUIRED_FIELD = _l("is required")
WRONG_FORMAT = _l("must be “%(expected)s”, not “%(actual)s”")
BAD_INSTRUMENT_CODE = _l("must be 3–64 lowercase letters, digits or hyphens")
BAD_IDENTIFIER = _l(
    "“%(value)s” is not a valid code (lowercase letters, digits and underscores, starting with a letter)"
)
BAD_OPTION_CODE = _l("“%(value)s” is not a valid option code")
NOT_POSITIVE_INTEGER = _l("must be a positive whole number")
NOT_BOOLEAN = _l("must be true or false")
NOT_NUMBER = _l("must be a number")
TEXT_NOT_MAPPING = _l("must give the text in kk, ru and en")
TEXT_MISSING_LANGUAGE = _l("the %(language)s (%(code)s) text is missing or empty")
TEXT_TOO_LONG = _l("is longer than %(max)s characters")
TEXT_UNKNOWN_LANGUAGE = _l("“%(code)s” is not one of the languages kk, ru, en")
DUPLICATE_CODE = _l("the code “%(code)s” is used more than once")
UNKNOWN_TYPE = _l("unknown question type “%(value)s”; allowed: %(allowed)s")
OPTIONS_NOT_ALLOWED = _l("a question of type “%(type)s” takes no options")
OPTIONS_REQUIRED = _l("a question of type “%(type)s” needs at least two options")
FIELD_NOT_ALLOWED = _l("is not allowed on a question of type “%(type)s”")
LIKERT_SHAPE = _l(
    "a likert5 question needs exactly five options with values 1 to 5, plus at most one “missing” option"
)
MISSING_WITH_VALUE = _l("an option marked missing cannot have a value")
CONSENT_REQUIRED = _l("a consent question must be required")
CONDITION_SHAPE = _l("must be {question: CODE, in: [OPTION, ...]}")
CONDITION_UNKNOWN = _l("refers to “%(code)s”, which is not a question of this instrument")
CONDITION_LATER = _l("refers to “%(code)s”, which does not come before this question")
CONDITION_BAD_OPTION = _l("“%(value)s” is not an option of question “%(code)s”")
CONDITION_NOT_CHOICE = _l("refers to “%(code)s”, which has no options to compare with")
INDEX_SHAPE = _l("must be {dimension: NAME, direction: positive or negative, csi: true or false}")
INDEX_NOT_SCORABLE = _l("a question of type “%(type)s” cannot be an index item")
INDEX_NEEDS_VALUES = _l("every substantive option of an index item needs a value")
UNKNOWN_WEIGHTING = _l("unknown weighting variable “%(value)s”; allowed: %(allowed)s")
WEIGHTING_NOT_SINGLE = _l("a weighting question must be of type single")
WEIGHTING_CATEGORIES = _l(
    "the options must be exactly %(expected)s (plus options marked missing); found %(actual)s"
)
QUESTION_ROLE_UNKNOWN = _l("unknown question role “%(value)s”; allowed: %(allowed)s")
QUESTION_ROLE_WRONG_TYPE = _l(
    "a question of type “%(type)s” cannot have the role “%(role)s”; allowed types: %(allowed)s"
)
QUESTION_ROLE_NOT_IN_CSI = _l(
    "the question with the role “%(role)s” must be an index item counted in the CSI (csi: true)"
)
QUESTION_ROLE_TAKEN = _l("the role “%(role)s” is already given to question “%(code)s”")
QUESTION_ROLE_MISSING = _l("no question has the role “%(role)s”; exactly one must have it")
RANGE_REVERSED = _l("min is greater than max")
MAX_LENGTH_RANGE = _l("must be between 1 and 4000")
MAX_CHOICES_RANGE = _l("must be between 1 and the number of options")
UNKNOWN_LEVEL = _l("unknown area level “%(value)s”; allowed: %(allowed)s")
VERSION_CHANGED = _l(
    "version %(version)s of “%(code)s” is already published with different content; raise the version number to change it"
)

# Area tree CSV.
AREA_CODE_BAD = _l("“%(value)s” is not a valid area code (letters, digits and hyphens, at most 32)")
AREA_DUPLICATE = _l("the area code “%(code)s” appears more than once")
AREA_UNKNOWN_KIND = _l("unknown kind “%(value)s”; allowed: %(allowed)s")
AREA_UNKNOWN_PARENT = _l("the parent “%(code)s” is neither in the database nor in an earlier row")
AREA_PARENT_KIND = _l("a %(kind)s cannot be placed under a %(parent_kind)s")
AREA_ROOT_PARENT = _l("a country has no parent; other areas must have one")
AREA_EXISTS_DIFFERENT = _l("the area “%(code)s” already exists with a different parent or kind")
AREA_URBAN_SHARE_BAD = _l(
    "“%(value)s” is not an urban share: write a number from 0 to 1 with a decimal point (0.45), or leave it empty if unknown"
)
NAME_MISSING = _l("the %(language)s name is missing")
NAME_TOO_LONG = _l("the name is longer than 200 characters")

# Margins CSV.
MARGIN_UNKNOWN_AREA = _l("unknown area “%(code)s”")
MARGIN_UNKNOWN_VARIABLE = _l("unknown variable “%(value)s”; allowed: %(allowed)s")
MARGIN_UNKNOWN_CATEGORY = _l("“%(value)s” is not a category of %(variable)s; allowed: %(allowed)s")
MARGIN_NOT_COUNT = _l("“%(value)s” is not a whole number of people")
MARGIN_TOO_LARGE = _l("%(value)s is not a plausible population count")
MARGIN_SOURCE_TOO_LONG = _l("the source is longer than 300 characters")
MARGIN_NEGATIVE = _l("a population count cannot be negative")
MARGIN_BAD_YEAR = _l("“%(value)s” is not a year")
MARGIN_DUPLICATE = _l("%(area)s, %(variable)s = %(category)s appears more than once")
MARGIN_MISSING_CATEGORY = _l("%(area)s: %(variable)s lacks the categories %(missing)s")
MARGIN_INCONSISTENT = _l(
    "%(area)s: %(variable)s sums to %(total)s, but %(other)s sums to %(other_total)s"
)
MARGIN_MIXED_YEARS = _l("a margins file must be for one year; found %(years)s")
MARGIN_SOURCE_MISSING = _l("the source is missing")

LANGUAGE_NAMES = {"kk": _l("Kazakh"), "ru": _l("Russian"), "en": _l("English")}

# The citizen survey.
ANSWER_REQUIRED = _l("Please answer this question.")
CONSENT_REQUIRED_CITIZEN = _l("Please confirm that you agree to take part.")
CHOICE_INVALID = _l("Please choose one of the options given.")
CHOICES_TOO_MANY = _l("Please choose at most %(max)s options.")
NUMBER_INVALID = _l("Please enter a whole number.")
NUMBER_OUT_OF_RANGE = _l("Please enter a number from %(min)s to %(max)s.")
ANSWER_TOO_LONG = _l("Please shorten your answer to %(max)s characters (it has %(length)s now).")
FORM_EXPIRED = _l("This form has expired. Please check your answers and send them again.")
AREA_NOT_CHOSEN = _l("Please choose your area from the list.")
INVITATION_USED = _l(
    "This invitation link has already been used or has expired. Each invitation can be used once."
)
NO_SURVEY_FOR_UNIT = _l(
    "No survey is open for this police unit at the moment. Thank you for your interest."
)
INVITATION_ONLY = _l("This survey is open by invitation only.")

# Staff accounts.
FIELD_REQUIRED = _l("Please fill in this field.")
LOGIN_FAILED = _l("The username or the password is wrong, or the account is deactivated.")
PASSWORD_WRONG = _l("This is not your current password.")
PASSWORD_LENGTH = _l("The password must be %(min)d to %(max)d characters long.")
PASSWORDS_DIFFER = _l("The two new passwords differ.")
ROLE_NAMES = {
    "admin": _l("administrator"),
    "researcher": _l("researcher"),
    "unit_head": _l("head of a police unit"),
}

# Administration of accounts and comments (the CLI's create-user shares the account checks).
USERNAME_FORMAT = _l("A username has 3 to 64 letters, digits, hyphens or underscores.")
USERNAME_TAKEN = _l("The username %(name)s is taken.")
SCOPE_REQUIRED_CLI = _l("A unit head needs --scope, the code of their area.")
SCOPE_REQUIRED = _l("A unit head needs an area: enter the code of their area.")
AREA_NOT_FOUND = _l("There is no area %(code)s.")
CANNOT_DEACTIVATE_SELF = _l("You cannot deactivate your own account.")
CANNOT_DROP_OWN_ADMIN = _l("You cannot remove your own administrator role.")
USER_NOT_FOUND = _l("There is no account with this number.")
COMMENT_NOT_FOUND = _l("There is no comment with this number.")
MODERATION_ACTION_UNKNOWN = _l("Unknown moderation action: choose Approve or Hide.")

# API tokens (the account's and the administration's token pages).
TOKEN_NAME_LENGTH = _l("A token's name has 1 to %(max)s characters.")
TOKEN_NOT_FOUND = _l("There is no token with this number.")
TOKEN_USER_INACTIVE = _l("This account is deactivated: a token for it would not work.")

# The JSON API (/api/v1/): error messages, in the language of Accept-Language.
API_BAD_REQUEST = _l("The request could not be understood.")
API_UNAUTHORIZED = _l(
    "A valid API token is required: send it in the header “Authorization: Bearer TOKEN”."
)
API_FORBIDDEN = _l("Your role does not give access to this resource.")
API_MICRODATA_FORBIDDEN = _l("Microdata are available to researchers and administrators only.")
API_NOT_FOUND = _l("There is nothing at this address of the API.")
API_METHOD_NOT_ALLOWED = _l("The API is read-only: use GET.")
API_TOO_MANY_REQUESTS = _l("Too many requests. Please wait a little and try again.")
API_SERVER_ERROR = _l("An error occurred on our side. Please try again later.")
API_UNKNOWN_PARAMETER = _l("Unknown parameter “%(name)s”; allowed: %(allowed)s.")
API_REPEATED_PARAMETER = _l("The parameter “%(name)s” is given more than once.")
API_MISSING_PARAMETER = _l("The parameter “%(name)s” is required.")
API_BAD_CODE = _l("The parameter “%(name)s” is not a valid code: “%(value)s”.")
API_BAD_CHOICE = _l("The parameter “%(name)s” must be one of %(allowed)s, not “%(value)s”.")
API_BAD_DATE = _l("The parameter “%(name)s” must be a date as YYYY-MM-DD, not “%(value)s”.")
API_BAD_INTEGER = _l(
    "The parameter “%(name)s” must be a whole number from %(min)s to %(max)s, not “%(value)s”."
)
API_DATES_REVERSED = _l("The parameter “%(name)s” must not be later than “%(other)s”.")
API_BAD_CURSOR = _l(
    "The parameter “%(name)s” is not a cursor of this API: take the “next” address of the previous page."
)
API_WAVE_NOT_FOUND = _l("There is no wave %(code)s.")
API_SNAPSHOT_NOT_FOUND = _l("There is no snapshot %(id)s.")

# Research: aggregate tables.
TABLE_VARIANT_UNKNOWN = _l("Unknown table variant: choose “public” or “full”.")
TABLE_MEASURE_UNKNOWN = _l("Unknown choice of measures: choose “csi” or “all”.")

# The JSON API: microdata.
API_NO_MICRODATA = _l("No weighted microdata of wave %(code)s are kept yet.")

# Research exports.
EXPORT_TOO_LARGE_FOR_EXCEL = _l(
    "An Excel sheet holds at most 1,048,575 rows: choose CSV, SPSS or Stata for this data."
)

# Operations: the scheduled jobs and "recompute a wave now" (surveyapp/operations).
JOB_NAMES = {
    "recompute-open-waves": _l("Recompute the open waves"),
    "recompute-windows": _l("Recompute the rolling windows"),
    "wave-status": _l("Open and close waves"),
    "purge": _l("Clean-up"),
}
JOB_ABOUT = {
    "recompute-open-waves": _l(
        "Weights the responses of every open wave and stores a new snapshot of its "
        "indicators, over all its responses. A recompute started from this page is run as "
        "this job, under the same lock."
    ),
    "recompute-windows": _l(
        "Stores a snapshot of the last days of responses (the rolling window) of every open "
        "continuous wave."
    ),
    "wave-status": _l(
        "Opens planned waves whose opening time has come and closes open waves whose closing "
        "time has passed."
    ),
    "purge": _l(
        "Deletes used and expired invitations, superseded response weights and stale "
        "rate-limit counters."
    ),
}
JOB_OUTCOMES = {
    "running": _l("running"),
    "succeeded": _l("succeeded"),
    "failed": _l("failed"),
    "skipped": _l("skipped"),
    "interrupted": _l("interrupted"),
}
JOB_SKIPPED = _l("Another process was running this job: this run did nothing.")
JOB_INTERRUPTED = _l("The process running this job stopped before the end.")
JOB_NOT_FOUND = _l("There is no such job.")
JOB_RUN_NOT_FOUND = _l("There is no such job run.")
DAILY_AT = _l("every day at %(time)s UTC")
RECOMPUTE_WAVE_UNKNOWN = _l("Choose one of the waves in the list.")
RECOMPUTE_WAVE_EMPTY = _l(
    "Wave %(code)s has no complete responses yet: there is nothing to compute."
)
RECOMPUTE_BUSY = _l(
    "A recompute is already running (started at %(time)s): wait until it has finished."
)
RECOMPUTE_BUSY_SINCE_UNKNOWN = _l("A recompute is already running: wait until it has finished.")
RECOMPUTE_NOT_STARTED = _l(
    "The recompute could not be started: the database did not answer in time. Try again."
)
SCOPE_WHOLE_WAVE = _l("%(wave)s, whole wave")
SCOPE_WINDOW = _l("%(wave)s, %(start)s to %(end)s")
SCOPE_COMPUTED = _l("%(scope)s: snapshot %(snapshot)s (%(responses)s responses)")
SCOPE_SKIPPED = _l("%(scope)s: nothing to compute yet (%(reason)s)")
SCOPE_FAILED = _l("%(scope)s: not computed: %(reason)s")
SCOPE_NO_RESPONSES = _l("no complete responses")
