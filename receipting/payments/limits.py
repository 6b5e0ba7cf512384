"""Every limit on a payment, each with its reason. Shared by validation, tables and migrations."""

from __future__ import annotations

from datetime import timedelta

# GOV.UK Pay's own maximum (£100,000): clients written for it never send more.
MAX_AMOUNT_PENCE = 10_000_000

# A payment must move money; a refund of nothing is not a refund.
MIN_AMOUNT_PENCE = 1

# GOV.UK Pay's field limits, so a body it accepts is accepted here.
MAX_REFERENCE_LEN = 255
MAX_DESCRIPTION_LEN = 255
MAX_RETURN_URL_LEN = 2000
MAX_EMAIL_LEN = 254  # RFC 5321's limit on a forward path
MAX_IDEMPOTENCY_KEY_LEN = 255
MAX_METADATA_KEYS = 15
MAX_METADATA_KEY_LEN = 30
MAX_METADATA_VALUE_LEN = 100

# An API key's service name (the owner of its payments).
MAX_SERVICE_LEN = 64

# A basket line's narrative, shown on receipts and in the back office's posting file.
MAX_NARRATIVE_LEN = 255

# A basket of a few dozen bills is plenty for one payer; the cap keeps one request's validation
# and ledger entry small (the ledger allows far more postings per entry).
MAX_ALLOCATIONS = 50

# GOV.UK Pay keeps an idempotency key this long; after it the key may be used afresh.
IDEMPOTENCY_WINDOW = timedelta(hours=24)

# GOV.UK Pay expires a payment not finished within 90 minutes (P0020).
PAYMENT_EXPIRY = timedelta(minutes=90)

# GOV.UK Pay's search pages: at most 500 results, 500 by default.
MAX_DISPLAY_SIZE = 500
DEFAULT_DISPLAY_SIZE = 500

# Payments one worker pass expires or polls: small batches keep each transaction short.
JOB_BATCH_SIZE = 100
