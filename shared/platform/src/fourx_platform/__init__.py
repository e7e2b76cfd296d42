"""fourx_platform: the runtime the services share — broker, subscribers and failure policy,
outbox, store helpers, auth, HTTP plumbing, the service runtime with its one clock, one
background loop and the settings fields every service has. The event contracts live in
fourx_contracts."""
