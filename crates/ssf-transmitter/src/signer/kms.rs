//! The signing keys in KMS: `Sign` (`RSASSA_PKCS1_V1_5_SHA_256`, `MessageType: RAW`, over the
//! signing input itself, at most 4,096 bytes) with the first key, `GetPublicKey` for every
//! key, once per instance. The private key never leaves KMS.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use cognito_revocation::sdk_error::describe;
use tokio::sync::OnceCell;

use super::{SignError, Signer};
use crate::core::jwk::PublicJwk;

/// The keys `SSF_SIGNING_KEY_IDS` names, in KMS.
#[derive(Debug)]
pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    key_ids: Vec<String>,
    public: OnceCell<Vec<PublicJwk>>,
}

impl KmsSigner {
    /// The keys `key_ids` (ids, ARNs or aliases), the first of which signs.
    pub fn new(client: aws_sdk_kms::Client, key_ids: Vec<String>) -> Self {
        Self {
            client,
            key_ids,
            public: OnceCell::new(),
        }
    }

    async fn read_public_keys(&self) -> Result<Vec<PublicJwk>, SignError> {
        let reads = self.key_ids.iter().map(|key| async move {
            let answer = self
                .client
                .get_public_key()
                .key_id(key)
                .send()
                .await
                .map_err(|e| SignError::Call(describe(&e)))?;
            let der = answer.public_key().ok_or_else(|| SignError::Key {
                key: key.clone(),
                problem: "GetPublicKey answered no key".to_owned(),
            })?;
            PublicJwk::from_spki_der(der.as_ref()).map_err(|e| SignError::Key {
                key: key.clone(),
                problem: e.to_string(),
            })
        });
        futures_util::future::try_join_all(reads).await
    }
}

impl Signer for KmsSigner {
    async fn public_keys(&self) -> Result<Vec<PublicJwk>, SignError> {
        self.public
            .get_or_try_init(|| self.read_public_keys())
            .await
            .cloned()
    }

    async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, SignError> {
        let key = self.key_ids.first().ok_or_else(|| SignError::Key {
            key: String::new(),
            problem: "no signing key".to_owned(),
        })?;
        let answer = self
            .client
            .sign()
            .key_id(key)
            .message(Blob::new(input))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(|e| SignError::Call(describe(&e)))?;
        answer
            .signature()
            .map(|s| s.as_ref().to_vec())
            .ok_or_else(|| SignError::Call("Sign answered no signature".to_owned()))
    }
}
