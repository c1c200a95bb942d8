//! The AWS adapters on moto: SETs signed by a KMS key (RSA_2048, SIGN_VERIFY) verify against
//! the JWKS read with GetPublicKey; the streams table; the queues.
