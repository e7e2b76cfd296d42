"""fourx_platform: the runtime the services share — broker, subscribers and failure policy,
outbox, store helpers, auth, HTTP plumbing. The event contracts live in fourx_contracts."""
