//! Signing keys: an HS256 secret or an Ed25519 key pair, loaded from
//! configuration or generated once and kept in a file only its owner can read.
//! No key is ever a constant in the code.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::Signing;

/// Everything needed to sign and check tokens.
pub struct SigningKeys {
    pub algorithm: Algorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// Key id put in token headers (asymmetric mode only).
    pub kid: Option<String>,
    /// The JSON Web Key Set to publish (asymmetric mode only).
    pub jwks: Option<Value>,
    /// Signs the links mailed for activation and resets (`auth::links`):
    /// derived from the signing secret, so it is as secret and as shared
    /// between instances as that, and never the same key.
    pub link_key: ring::hmac::Key,
}

/// A key for another use than signing tokens, derived from the secret
/// material (HKDF's extract step, with the use as its salt).
fn derive(secret: &[u8], purpose: &str) -> ring::hmac::Key {
    let salt = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, purpose.as_bytes());
    let derived = ring::hmac::sign(&salt, secret);
    ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref())
}

const LINK_KEY_PURPOSE: &str = "account links v1";

impl SigningKeys {
    pub fn load(signing: &Signing) -> anyhow::Result<Self> {
        match signing {
            Signing::Hs256 {
                secret,
                secret_file,
            } => {
                let secret = match secret {
                    Some(secret) => secret.expose().as_bytes().to_vec(),
                    None => load_or_create(secret_file, "JWT_SECRET_FILE", || {
                        let mut bytes = [0u8; 32];
                        SystemRandom::new()
                            .fill(&mut bytes)
                            .map_err(|_| anyhow::anyhow!("no system randomness"))?;
                        Ok(hex(&bytes).into_bytes())
                    })?,
                };
                Ok(SigningKeys {
                    algorithm: Algorithm::HS256,
                    encoding: EncodingKey::from_secret(&secret),
                    decoding: DecodingKey::from_secret(&secret),
                    kid: None,
                    jwks: None,
                    link_key: derive(&secret, LINK_KEY_PURPOSE),
                })
            }
            Signing::EdDsa { key_file } => {
                let pem_text = load_or_create(key_file, "JWT_KEY_FILE", || {
                    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                        .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
                    let pem = pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec());
                    Ok(pem::encode(&pem).into_bytes())
                })?;
                let pem = pem::parse(&pem_text).context("JWT_KEY_FILE is not a PEM file")?;
                let pair =
                    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pem.contents()).map_err(|e| {
                        anyhow::anyhow!("JWT_KEY_FILE is not a PKCS#8 Ed25519 key: {e}")
                    })?;
                let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
                let kid = thumbprint(&x);
                Ok(SigningKeys {
                    algorithm: Algorithm::EdDSA,
                    encoding: EncodingKey::from_ed_der(pem.contents()),
                    decoding: DecodingKey::from_ed_components(&x)
                        .context("cannot use the Ed25519 public key")?,
                    jwks: Some(json!({"keys": [{
                        "kty": "OKP", "crv": "Ed25519", "x": x,
                        "kid": kid, "alg": "EdDSA", "use": "sig"
                    }]})),
                    kid: Some(kid),
                    link_key: derive(pem.contents(), LINK_KEY_PURPOSE),
                })
            }
        }
    }
}

/// RFC 7638 thumbprint of an Ed25519 JWK: a stable key id other services
/// can match.
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the key file, or creates it with `make()` and mode 0600. Several
/// instances may start at once: the file appears atomically (written aside,
/// then hard-linked into place), and a loser of that race reads the winner's.
fn load_or_create(
    path: &Path,
    setting: &str,
    make: impl FnOnce() -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<Vec<u8>> {
    match fs::read(path) {
        Ok(bytes) => return checked(path, setting, bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => bail!("{setting}: cannot read {}: {e}", path.display()),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The data directory may also hold the SQLite database: owner only.
        crate::store::create_private_dir(dir)
            .with_context(|| format!("{setting}: cannot create {}", dir.display()))?;
    }
    let bytes = make()?;
    let aside = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = private_file(&aside)
        .with_context(|| format!("{setting}: cannot write {}", aside.display()))?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    drop(file);
    let linked = fs::hard_link(&aside, path);
    let _ = fs::remove_file(&aside);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a new signing key");
            Ok(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            checked(path, setting, fs::read(path)?)
        }
        Err(e) => bail!("{setting}: cannot create {}: {e}", path.display()),
    }
}

fn checked(path: &Path, setting: &str, bytes: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let trimmed = bytes.trim_ascii();
    if trimmed.len() < 32 {
        bail!("{setting}: {} holds fewer than 32 bytes", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the signing key file is readable by others; chmod 600 it");
        }
    }
    Ok(trimmed.to_vec())
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::File::create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/jwt-secret");
        let signing = Signing::Hs256 {
            secret: None,
            secret_file: file.clone(),
        };
        SigningKeys::load(&signing).unwrap();
        let first = fs::read(&file).unwrap();
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        SigningKeys::load(&signing).unwrap();
        assert_eq!(fs::read(&file).unwrap(), first);
    }

    #[test]
    fn two_generated_secrets_differ() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            let signing = Signing::Hs256 {
                secret: None,
                secret_file: dir.path().join(name),
            };
            SigningKeys::load(&signing).unwrap();
        }
        assert_ne!(
            fs::read(dir.path().join("a")).unwrap(),
            fs::read(dir.path().join("b")).unwrap()
        );
    }

    #[test]
    fn an_ed25519_key_is_generated_with_a_jwks() {
        let dir = tempfile::tempdir().unwrap();
        let signing = Signing::EdDsa {
            key_file: dir.path().join("key.pem"),
        };
        let keys = SigningKeys::load(&signing).unwrap();
        let jwks = keys.jwks.unwrap();
        assert_eq!(jwks["keys"][0]["kid"], keys.kid.clone().unwrap().as_str());
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        let again = SigningKeys::load(&signing).unwrap();
        assert_eq!(again.kid, keys.kid);
    }

    #[test]
    fn a_short_secret_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s");
        fs::write(&file, "short").unwrap();
        let signing = Signing::Hs256 {
            secret: None,
            secret_file: file,
        };
        assert!(SigningKeys::load(&signing).is_err());
    }
}
