"""Messages the engine sends to people: emailed receipts."""
