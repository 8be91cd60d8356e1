//! Credential encryption at rest: AES-256-GCM with a random 96-bit nonce per seal. Every ciphertext is
//! stored next to the id of the key that sealed it, so keys rotate without a flag day: add a new key
//! first in `OCEAN_ENCRYPTION_KEYS`, keep the old ones until every row has been re-sealed.

use std::collections::HashMap;

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretString};

/// Binds ciphertexts to their purpose: a sealed credential cannot be replayed into another kind of field.
const AAD: &[u8] = b"ocean-sync:integration_accounts:secret:v1";
const NONCE_LEN: usize = 12;

/// Why a keyring or a ciphertext was refused. Never carries key or plaintext material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("OCEAN_ENCRYPTION_KEYS is empty: give at least one `key_id:base64(32 bytes)` entry")]
    NoKeys,
    #[error("encryption key entry {0} is not `key_id:base64(32 bytes)`")]
    BadEntry(usize),
    #[error("encryption key `{0}` must decode from base64 to exactly 32 bytes")]
    BadKey(String),
    #[error("encryption key id `{0}` appears twice")]
    DuplicateKey(String),
    #[error("no encryption key with id `{0}` is configured")]
    UnknownKey(String),
    #[error("ciphertext could not be opened (wrong key or corrupted data)")]
    Open,
}

/// A sealed secret as stored: the key id and `nonce || ciphertext+tag`.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

/// The configured keys; the first one seals.
#[derive(Clone)]
pub struct Keyring {
    active: String,
    keys: HashMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl Keyring {
    /// Parses `key_id:base64,key_id:base64`.
    pub fn parse(spec: &SecretString) -> Result<Self, CryptoError> {
        let mut keys = HashMap::new();
        let mut active = None;
        for (i, entry) in spec
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let (id, b64) = entry.split_once(':').ok_or(CryptoError::BadEntry(i + 1))?;
            let id = id.trim();
            if id.is_empty() {
                return Err(CryptoError::BadEntry(i + 1));
            }
            let raw = STANDARD
                .decode(b64.trim())
                .map_err(|_| CryptoError::BadKey(id.to_owned()))?;
            if raw.len() != 32 {
                return Err(CryptoError::BadKey(id.to_owned()));
            }
            let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&raw));
            if keys.insert(id.to_owned(), cipher).is_some() {
                return Err(CryptoError::DuplicateKey(id.to_owned()));
            }
            active.get_or_insert_with(|| id.to_owned());
        }
        let active = active.ok_or(CryptoError::NoKeys)?;
        Ok(Self { active, keys })
    }

    /// Id of the key that seals new secrets.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Whether a key with this id is configured.
    pub fn has_key(&self, key_id: &str) -> bool {
        self.keys.contains_key(key_id)
    }

    /// Seals `plaintext` under the active key.
    pub fn seal(&self, plaintext: &[u8]) -> Sealed {
        let cipher = &self.keys[&self.active];
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: AAD,
                },
            )
            .expect("AES-GCM encryption cannot fail for in-memory buffers");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        Sealed {
            key_id: self.active.clone(),
            bytes,
        }
    }

    /// Opens a secret sealed under any configured key.
    pub fn open(&self, key_id: &str, bytes: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        if bytes.len() <= NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: AAD,
                },
            )
            .map_err(|_| CryptoError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(spec: &str) -> Result<Keyring, CryptoError> {
        Keyring::parse(&SecretString::from(spec.to_owned()))
    }

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    #[test]
    fn sealed_secret_opens_and_does_not_contain_the_plaintext() {
        let keys = ring(&format!("k1:{K1}")).unwrap();
        let sealed = keys.seal(b"super-secret-value");
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.bytes.windows(6).any(|w| w == b"secret"));
        assert_eq!(keys.open("k1", &sealed.bytes).unwrap(), b"super-secret-value");
    }

    #[test]
    fn old_keys_still_open_after_rotation() {
        let old = ring(&format!("k1:{K1}")).unwrap();
        let sealed = old.seal(b"x");
        let rotated = ring(&format!("k2:{K2},k1:{K1}")).unwrap();
        assert_eq!(rotated.active_key_id(), "k2");
        assert_eq!(rotated.open("k1", &sealed.bytes).unwrap(), b"x");
        assert_eq!(rotated.seal(b"x").key_id, "k2");
    }

    #[test]
    fn tampering_and_unknown_keys_are_refused() {
        let keys = ring(&format!("k1:{K1}")).unwrap();
        let mut sealed = keys.seal(b"x");
        let last = sealed.bytes.len() - 1;
        sealed.bytes[last] ^= 1;
        assert!(matches!(keys.open("k1", &sealed.bytes), Err(CryptoError::Open)));
        assert!(matches!(
            keys.open("k9", &sealed.bytes),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn malformed_key_specs_are_refused() {
        assert!(matches!(ring(""), Err(CryptoError::NoKeys)));
        assert!(matches!(ring("nocolon"), Err(CryptoError::BadEntry(1))));
        assert!(matches!(ring("k1:c2hvcnQ="), Err(CryptoError::BadKey(_))));
        assert!(matches!(
            ring(&format!("k1:{K1},k1:{K2}")),
            Err(CryptoError::DuplicateKey(_))
        ));
    }
}
