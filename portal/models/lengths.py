"""Column lengths, each named once: the models declare their columns with them and the API's
schemas (portal/api/schemas.py) cap the same fields with them, so input the API accepts always
fits its column."""

PUBLIC_ID_MAX = 32
EMAIL_MAX = 254
PERSON_NAME_MAX = 200
RECORD_REFERENCE_MAX = 20
RECORD_TITLE_MAX = 300
RECORD_LOCATION_MAX = 200
RECORD_TRADE_MAX = 100
RECORD_ASSIGNEE_MAX = 200
CHECK_LABEL_MAX = 300
PHOTO_CAPTION_MAX = 300
API_KEY_NAME_MAX = 100
WEBHOOK_URL_MAX = 2000
WEBHOOK_DESCRIPTION_MAX = 200
SHARE_TOKEN_DIGEST = 64  # sha256, hex
SHARE_MESSAGE_MAX = 2000
USER_AGENT_MAX = 300
SCHEDULE_NAME_MAX = 120
RRULE_MAX = 500
TIMEZONE_MAX = 64
ACCENT_COLOUR_MAX = 7  # "#rrggbb"
REPORT_FOOTER_MAX = 200
NCR_TEXT_MAX = 5000  # an NCR's root cause and its corrective action, each
SIGN_OFF_ROLE_MAX = 100
DISPOSITION_MAX = 30  # the longest code of vocabulary.NCR_DISPOSITIONS fits
