//! TAXII 2.1 client.
