"""The council's configuration: funds, reference rules, VAT codes, methods of payment and the chart
of accounts, loaded from a TOML file and versioned."""
