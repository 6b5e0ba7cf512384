"""Card payment gateways (PSPs) behind one protocol: the sandbox shipped with the engine, and
real ones later. Card details never enter the engine: payers type them on the gateway's page."""
