"""Who may call the API: API keys for systems (scoped, stored only as slow hashes), rate limits."""
