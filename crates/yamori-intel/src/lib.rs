//! STIX 2.1 model and validation, correlation, trust, decay, anonymisation, exports.
