//! HTTP hub: TAXII 2.1 server and client, REST API, dashboard, auth.
