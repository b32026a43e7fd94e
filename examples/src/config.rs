//! Verifier configuration from the environment, shared by the server examples.
