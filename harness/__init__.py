"""What tests/ and bench/ share: real servers on loopback, corpora, documents and clients."""
