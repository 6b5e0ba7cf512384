"""Council payments and cash-receipting: funds, payments, receipts and the API over the ledger."""
