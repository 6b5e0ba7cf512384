"""Payments shaped like GOV.UK Pay's: baskets over funds, the state machine, receipts, refunds."""
