import Testing

/// Every integration test runs under this suite, one at a time: they start real node processes and
/// daemons on a 2-core machine, share the inspector's default port, and time their captures.
@Suite(.serialized) enum IntegrationSuite {}
