"""What tests/ and bench/ share: real servers on loopback, corpora, documents and clients
(never imported by the product, nor by a test module from bench/)."""
