"""One thin service class per API resource; each method builds a request and calls the client."""
