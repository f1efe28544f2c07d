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
AREA_PLACES_COLUMNS = _l(
    "the place columns come together: the file has %(present)s but not %(missing)s"
)
AREA_PLACES_UNEQUAL = _l(
    "the lists of %(column)s have different lengths in the three languages (%(counts)s): each place needs its name in Kazakh, Russian and English, in the same order"
)
AREA_PLACES_NOT_PRECINCT = _l(
    "only a precinct's row may list localities and streets: leave %(column)s empty"
)
AREA_PLACES_TOO_MANY = _l("more than %(max)s places in %(column)s")
AREA_PLACE_TOO_LONG = _l("a place name in %(column)s is longer than 200 characters")
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
SERVICE_UNAVAILABLE = _l("Service temporarily unavailable")
SEND_AGAIN = _l("Send again")
ANSWERS_KEPT_IN_OUTAGE = _l(
    "The service is temporarily unavailable. Your answers are kept in this form: "
    "please press Send again in a minute."
)
AREA_NOT_CHOSEN = _l("Please choose your area from the list.")
AREA_OUTSIDE_REGION = _l(
    "This precinct is not in the region you chose: please choose one from the list."
)
DISTRICT_NOT_CHOSEN = _l("Please choose your district from the list.")
PLACE_QUERY_SHORT = _l("Please type at least %(min)s letters of the street or locality name.")
PLACE_QUERY_LONG = _l("Please type a shorter name: at most %(max)s characters.")
PLACE_QUERY_BAD = _l("Please type only the name of a street or locality.")
PLACE_NOT_FOUND = _l(
    "No street or locality of this region matches “%(query)s”. Check the spelling, try the name in another language, or choose your district below."
)
PRECINCT_NOT_CHOSEN = _l(
    "Please choose your precinct from the list, or the whole district if you do not know it."
)
INVITATION_USED = _l(
    "This invitation link has already been used or has expired. Each invitation can be used once."
)
NO_SURVEY_FOR_UNIT = _l(
    "No survey is open for this police unit at the moment. Thank you for your interest."
)
INVITATION_ONLY = _l("This survey is open by invitation only.")

# Requests refused before any view reads them (surveyapp/inputs.py), and page numbers.
INPUT_BAD_CHARACTERS = _l(
    "The address or the data sent contains characters that are not allowed (control characters or text that is not UTF-8). Please check it and try again."
)
INPUT_NOT_A_FORM = _l(
    "The kind of data sent is not accepted here: this page takes only the data of its own form. Please send the form from the page."
)
INPUT_FILE_NOT_EXPECTED = _l(
    "Files are not accepted here: this field takes text. Please go back and type the answer."
)
PAGE_NOT_FOUND = _l("There is no page with that number. Please start from the first page.")

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
API_UNAVAILABLE = _l("The service is temporarily unavailable. Please try again in a minute.")
API_UNKNOWN_PARAMETER = _l("Unknown parameter “%(name)s”; allowed: %(allowed)s.")
API_REPEATED_PARAMETER = _l("The parameter “%(name)s” is given more than once.")
API_MISSING_PARAMETER = _l("The parameter “%(name)s” is required.")
API_EMPTY_PARAMETER = _l("The parameter “%(name)s” is empty: give a value or leave it out.")
API_BAD_CODE = _l("The parameter “%(name)s” is not a valid code: “%(value)s”.")
API_BAD_MEASURE = _l(
    "The parameter “%(name)s” must be csi, item:<question code> or trust:<option code>, in "
    "lower case, not “%(value)s”."
)
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
EXPORT_NO_DATA = _l("The weights of this run are no longer kept: choose another run.")
EXPORT_FAILED = _l(
    "The export could not be built. Try again; if it fails again, tell the administrators."
)

# QR posters: the poster's texts (each printed in kk, ru and en) and the poster pages.
POSTER_HEADLINE = _l("Rate the work of your police")
POSTER_ANONYMOUS = _l("Anonymous survey, about 3 minutes")
POSTER_SCAN = _l(
    "Point your phone's camera at the QR code and answer a few questions about the police in your area."
)
POSTER_WHY = _l("Your opinion matters to us: every answer helps to improve the work of the police.")
POSTER_AREA_CODE = _l("Area code: %(code)s")
POSTER_AREA_UNKNOWN = _l("There is no active area with the code “%(code)s”.")
POSTER_NOT_A_DISTRICT = _l(
    "“%(code)s” is not a district: a set of posters is made for the precincts of a district."
)
POSTER_NO_PRECINCTS = _l("The district %(code)s has no active precincts.")
POSTER_NO_OPEN_WAVE = _l(
    "No open survey covers this unit now: the poster's link will work once a wave covering it opens."
)
POSTER_BAD_LANGUAGE = _l("Choose the language of the page the QR code opens: kk, ru or en.")
POSTER_BAD_BASE_URL = _l(
    "The site address must start with http:// or https://, e.g. https://survey.example.kz."
)
POSTER_CLI_WHICH = _l("Give either an area code or --district with a district's code.")
POSTER_CLI_SVG_ONE = _l("--svg writes one unit's poster: give its area code, not --district.")
POSTER_CLI_BASE_URL = _l(
    "Give --base-url (or set SURVEYAPP_PUBLIC_BASE_URL): the site's address the QR code links to."
)
# Instrument files as XLSForm workbooks, and the instrument exports (imports/xlsform.py,
# exports/instrument_file.py, the CLI's import-instrument and export-instrument).
LOC_SHEET = _l("sheet “%(sheet)s”")
LOC_COLUMN = _l("column “%(column)s”")
INSTRUMENT_FILE_SUFFIX = _l(
    "an instrument file must be named %(allowed)s (YAML or an XLSForm workbook), not “%(suffix)s”"
)
XLSX_TOO_LARGE = _l("the workbook is larger than %(max)s MB")
XLSX_UNREADABLE = _l("the file is not an Excel workbook (.xlsx) that can be read")
XLSX_SHEET_MISSING = _l("the workbook has no sheet of this name")
XLSX_SHEET_UNSUPPORTED = _l("sheets of this kind are not supported; remove it")
XLSX_SHEET_EMPTY = _l("the sheet has no headings in its first row")
XLSX_TOO_MANY_ROWS = _l("the sheet has more than %(max)s rows")
XLSX_TOO_MANY_COLUMNS = _l("the sheet has more than %(max)s columns")
XLSX_COLUMN_MISSING = _l("the sheet lacks this column")
XLSX_COLUMN_UNSUPPORTED = _l("this column is not supported; remove it or leave it empty")
XLSX_COLUMN_DUPLICATE = _l("this column appears more than once")
XLSX_COLUMN_NO_HEADING = _l("a value in a column without a heading")
XLSX_LANGUAGE_UNKNOWN = _l(
    "unknown language; the columns are “%(base)s::Kazakh (kk)”, “%(base)s::Russian (ru)” and “%(base)s::English (en)”"
)
XLSX_TEXT_WITHOUT_LANGUAGE = _l(
    "give this text in each language, in the columns “%(base)s::Kazakh (kk)”, “%(base)s::Russian (ru)” and “%(base)s::English (en)”"
)
XLSX_FORMULA = _l("formulas are not supported: enter the value itself")
XLSX_BAD_CELL = _l("the cell must hold text or a number")
XLSX_CONTROL_CHARACTER = _l("the cell contains control characters")
XLSX_TYPE_UNSUPPORTED = _l("the type “%(type)s” is not supported; supported: %(allowed)s")
XLSX_LIST_MISSING = _l("the type needs the name of a choice list, as in “%(type)s LIST”")
XLSX_LIST_UNKNOWN = _l("there is no choice list “%(list)s” in the sheet “choices”")
XLSX_YES_NO_LIST = _l(
    "the choice list of a yes_no question must have exactly the choices yes and no"
)
XLSX_SURVEYAPP_TYPE = _l(
    "“%(value)s” cannot be given to a question of type “%(type)s”; allowed here: %(allowed)s"
)
XLSX_NESTED_GROUP = _l("groups inside groups are not supported: each group is one section")
XLSX_OUTSIDE_GROUP = _l(
    "every question must be inside a group (begin_group … end_group), which is its section"
)
XLSX_GROUP_NOT_CLOSED = _l("this group is not closed by an end_group")
XLSX_END_WITHOUT_BEGIN = _l("this end_group closes no group")
XLSX_NOTE_PLACE = _l("a note is supported only once, before the first group, as the introduction")
XLSX_INTRO_MISSING = _l("the introduction is missing: add a note before the first group")
XLSX_NOT_APPLICABLE = _l("this column does not apply to a row of type “%(type)s”")
XLSX_BOOLEAN = _l("must be yes or no")
XLSX_DUPLICATE_NAME = _l("the name “%(name)s” is already used in row %(row)s")
XLSX_CONSTRAINT = _l("unsupported constraint; supported here: %(allowed)s")
XLSX_RELEVANT_GRAMMAR = _l(
    "unsupported condition; write ${question} = 'option', ${question} != 'option' or selected(${question}, 'option'), joined by and, or and brackets"
)
XLSX_RELEVANT_ONE_QUESTION = _l("a condition may refer to one earlier question only")
XLSX_RELEVANT_MULTI = _l(
    "for a select_multiple question write only selected(${question}, 'option') joined by or"
)
XLSX_RELEVANT_NEVER = _l("the condition can never be true")
XLSX_SETTINGS_ROWS = _l("the sheet must have exactly one row of settings under its headings")
INSTRUMENT_EXPORT_UNKNOWN = _l("There is no instrument %(code)s.")
INSTRUMENT_EXPORT_NO_VERSION = _l("Instrument %(code)s has no version %(version)s.")
INSTRUMENT_EXPORT_FORMAT = _l(
    "Choose the format with --format xlsform or --format yaml, or name the file .xlsx or .yaml."
)
INSTRUMENT_EXPORTED = _l("Instrument %(code)s version %(version)s written to %(path)s.")
INSTRUMENT_EXPORTED_AS_NEXT = _l(
    "Instrument %(code)s version %(version)s written to %(path)s as version %(next)s, to edit and import."
)
INSTRUMENT_EXPORT_UNWRITABLE = _l("The file cannot be written: %(reason)s")
# Questionnaires: instrument versions in the administration (drafts, preview, publication).
INSTRUMENT_VERSION_PUBLISHED = _l(
    "version %(version)s of “%(code)s” is already published; start a new version to change it"
)
INSTRUMENT_NOT_DRAFT = _l(
    "This version is published and cannot be changed or deleted; start a new version instead."
)
INSTRUMENT_IN_USE = _l("A wave fields this version, so it cannot be deleted.")
INSTRUMENT_DRAFT_EXISTS = _l(
    "This questionnaire already has a draft (version %(version)s): edit and upload that one."
)
INSTRUMENT_NOT_FOUND = _l("There is no such questionnaire version.")
INSTRUMENT_FILE_MISSING = _l("Choose a file to upload.")
INSTRUMENT_FILE_TYPE = _l("Upload a questionnaire file ending in %(allowed)s.")
INSTRUMENT_FILE_TOO_LARGE = _l(
    "The file is larger than %(limit)s MB; questionnaire files are much smaller."
)
INSTRUMENT_DRAFT_STORED = _l("Draft stored: “%(code)s” version %(version)s.")
INSTRUMENT_DRAFT_REPLACED = _l(
    "Draft replaced: “%(code)s” version %(version)s has the new content."
)
INSTRUMENT_PUBLISHED = _l("Published: “%(code)s” version %(version)s can now be fielded.")
INSTRUMENT_DELETED = _l("Draft deleted: “%(code)s” version %(version)s.")
INSTRUMENT_NEW_VERSION = _l(
    "Draft “%(code)s” version %(version)s created with the same content: download it, edit it and upload it again."
)
INSTRUMENT_CONFIRM_REQUIRED = _l("Tick the box to confirm.")
# Administration: moderation at scale, the audit log and the scope picker.
SCOPE_REQUIRED_PICK = _l("A unit head needs an area: choose it from the list.")
DATE_INVALID = _l("Enter a date as YYYY-MM-DD between 2000 and 2100, for example 2026-05-31.")
DATES_REVERSED = _l("The start date must not be later than the end date.")
FIELD_TOO_LONG = _l("Enter at most %(max)s characters.")
COMMENTS_NONE_TICKED = _l("Tick at least one comment.")
COMMENTS_TOO_MANY = _l("Tick at most %(max)s comments at once.")
COMMENTS_GONE = _l("Some of the ticked comments no longer exist: nothing has been changed.")
MODERATION_REASON_REQUIRED = _l("Give the reason for hiding: it is kept with each comment.")
# Fieldwork: waves, their areas and targets, progress, invitation batches (admin and create-wave).
WAVE_NOT_FOUND = _l("There is no wave with this number.")
WAVE_CODE_FORMAT = _l(
    "A wave code has 2 to 64 Latin letters, digits, dots, hyphens or underscores, "
    "starting with a letter or digit."
)
WAVE_CODE_TAKEN = _l("The wave code %(code)s is taken.")
WAVE_NAME_INVALID = _l("A name has 1 to %(max)s characters, on one line.")
WAVE_INSTRUMENT_UNKNOWN = _l("There is no published instrument %(spec)s.")
WAVE_DATE_INVALID = _l("Enter a date as YYYY-MM-DD.")
WAVE_CLOSES_BEFORE_OPENS = _l("The closing date must be later than the opening date.")
WAVE_CLOSES_IN_PAST = _l("The closing date has already passed.")
WAVE_CLOSED_UNCHANGEABLE = _l("This wave is closed: it can no longer be changed.")
WAVE_CANNOT_PAUSE = _l("Only a planned or open wave can be paused.")
WAVE_CANNOT_RESUME = _l("Only a paused wave can be resumed.")
WAVE_TARGET_INVALID = _l(
    "A target is a whole number from 0 to 1,000,000 (or empty for none), not “%(value)s”."
)
WAVE_AREAS_UNKNOWN = _l("There are no areas with these codes: %(codes)s.")
WAVE_AREAS_INACTIVE = _l("These areas are no longer active: %(areas)s.")
WAVE_AREAS_NOT_PRECINCTS = _l(
    "A wave lists precincts only (a district is covered through its precincts): %(areas)s."
)
WAVE_DISTRICT_UNKNOWN = _l("There is no active district %(code)s.")
WAVE_DISTRICT_EMPTY = _l("The district %(code)s has no active precincts.")
WAVE_AREAS_CSV_TOO_LARGE = _l("The file is too large.")
WAVE_AREAS_CSV_NOT_UTF8 = _l("The file is not a UTF-8 CSV text file.")
WAVE_AREAS_CSV_HEADER = _l("The first line of the file must name the columns area_code,target_n.")
WAVE_AREAS_CSV_MISSING = _l("Choose a CSV file to upload.")
WAVE_CSV_LINE = _l("Line %(line)s: %(problem)s")
WAVE_REGION_UNKNOWN = _l("There is no region %(code)s.")
PROGRESS_SORT_UNKNOWN = _l("Unknown order “%(value)s”: the table is shown furthest behind first.")
PROGRESS_LEVEL_UNKNOWN = _l("Unknown level “%(value)s”: the table is shown by precinct.")
INVITATION_COUNT_RANGE = _l("The number of invitations is a whole number from 1 to %(max)s.")
INVITATION_DAYS_RANGE = _l("The validity is a whole number of days from 1 to %(max)s.")
INVITATION_AREA_NOT_COVERED = _l("The wave does not cover the area %(code)s.")
INVITATION_WAVE_CLOSED = _l("The wave is closed: invitations to it would not work.")
INVITATION_FORMAT_UNKNOWN = _l("Choose the CSV file or the printable cards.")
WAVE_STATUS_PLANNED = _l("planned")
WAVE_STATUS_OPEN = _l("open")
WAVE_STATUS_PAUSED = _l("paused")
WAVE_STATUS_CLOSED = _l("closed")
# Units and margins (admin uploads of the police unit tree and of the population margins).
FILE_BINARY = _l("the file is not text (it contains NUL bytes): save it as CSV in UTF-8")
CSV_MALFORMED = _l("the file cannot be read as CSV: save it as CSV in UTF-8")
UPLOAD_FILE_MISSING = _l("Choose a CSV file to upload.")
UPLOAD_TOO_LARGE = _l("The file is larger than %(size)s MB: only smaller files are accepted.")
UPLOAD_GONE = _l(
    "This preview has expired or its file has already been imported: upload the file again."
)
UPLOAD_STALE_TREE = _l(
    "The unit tree has changed since the preview. Below is what importing the file would do now: check it and import again."
)
UPLOAD_STALE_MARGINS = _l(
    "Other margins have been imported since the preview. Below is the comparison with the current margins: check it and import again."
)
UNIT_NOT_FOUND = _l("There is no police unit with this code.")
UPLOAD_FIELD_TOO_LONG = _l("Please shorten this to %(max)s characters.")
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
        "Deletes used and expired invitations, superseded response weights, API tokens "
        "revoked long ago, audit entries older than the retention period, import files never "
        "imported, expired export files and stale rate-limit counters."
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

# Fieldwork files (import-fieldwork, docs/fieldwork-import.md).
FIELDWORK_UNKNOWN_WAVE = _l("there is no wave with the code “%(code)s”")
FIELDWORK_WAVE_NOT_EMPTY = _l(
    "wave %(wave)s already has %(count)s responses: fieldwork data go into a wave of their own"
)
FIELDWORK_FILE_KIND = _l("the data file must be one of %(allowed)s")
FIELDWORK_TOO_MANY_ROWS = _l("the file has more than %(max)s rows")
FIELDWORK_UNKNOWN_QUESTION = _l("“%(code)s” is not a question of the wave's questionnaire")
FIELDWORK_QUESTION_NOT_MAPPABLE = _l(
    "question “%(code)s” (type “%(type)s”) cannot be taken from a column"
)
FIELDWORK_QUESTION_SHAPE = _l(
    "must be a column name or {column: NAME, values: {VALUE: OPTION}, missing: [VALUE]}"
)
FIELDWORK_COLUMN_TWICE = _l("column “%(column)s” is already used for “%(first)s”")
FIELDWORK_BAD_TEXT = _l("the value contains NUL bytes or is longer than 1000 characters")
FIELDWORK_MISSING_VALUE = _l("the value is missing")
FIELDWORK_AREA_NOT_PRECINCT = _l("area “%(code)s” is not a precinct")
FIELDWORK_AREA_NOT_IN_WAVE = _l("area “%(code)s” is not covered by wave %(wave)s")
FIELDWORK_BAD_WEIGHT = _l("“%(value)s” is not a base weight (a number above 0, at most %(max)s)")
FIELDWORK_BAD_FPC = _l(
    "“%(value)s” is not a finite-population correction (a number of PSUs, or a sampling fraction above 0)"
)
FIELDWORK_BAD_LANGUAGE = _l("“%(value)s” is not an interview language (kk, ru or en)")
FIELDWORK_BAD_DATE = _l("“%(value)s” is not an interview date (YYYY-MM-DD, not in the future)")
FIELDWORK_BAD_NUMBER = _l(
    "“%(value)s” is not a possible answer to question “%(code)s” (a number from %(min)s to %(max)s)"
)
FIELDWORK_UNKNOWN_CODE = _l(
    "“%(value)s” is not a code of question “%(code)s”; allowed: %(allowed)s"
)
FIELDWORK_REQUIRED_MISSING = _l("question “%(code)s” is required but has no answer")
FIELDWORK_FPC_VARIES = _l(
    "the finite-population correction of stratum “%(stratum)s” differs from that in row %(row)s"
)
FIELDWORK_REPLICATES_SHAPE = _l(
    "replicate weights: give their columns as a list (columns) or as the columns' common "
    "beginning (prefix), not both"
)
FIELDWORK_REPLICATES_KIND = _l(
    "“%(kind)s” is not a kind of replicate weights (JK1, JKn or bootstrap)"
)
FIELDWORK_REPLICATES_SCALE = _l("“%(value)s” is not a replicate scale (a number above 0)")
FIELDWORK_REPLICATES_COUNT = _l("replicate weights need at least 2 columns; the file has %(count)s")
FIELDWORK_REPLICATES_RSCALES = _l(
    "replicate weights of kind %(kind)s need rscales, one number per replicate "
    "(%(count)s replicates, %(given)s numbers given)"
)
FIELDWORK_BAD_REPLICATE_WEIGHT = _l(
    "“%(value)s” is not a replicate weight (a finite number, 0 or above)"
)
FIELDWORK_REPLICATE_ALL_ZERO = _l("replicate weight column “%(column)s” is 0 in every row")
FIELDWORK_LONE_PSU = _l(
    "stratum “%(stratum)s” has a single PSU: its variance cannot be estimated (merge it with another stratum)"
)
FIELDWORK_FPC_TOO_SMALL = _l(
    "stratum “%(stratum)s” has %(psus)s PSUs in the sample but a population of %(fpc)s PSUs"
)
INTERVIEWS_FILES_MISSING = _l("Choose the interviews file (.sav or .csv) and its mapping (YAML).")
