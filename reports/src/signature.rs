//! Signed reports: Ed25519 signatures in minisign's format.
//!
//! `integrity_sha256` is unkeyed: anyone can edit a report and recompute it,
//! so it only detects accidental damage. A signature made with a secret key
//! that only the CI holds proves that the report's bytes are the ones that
//! CI wrote. The format is minisign's (`report.json.minisig` next to
//! `report.json`, keys as minisign writes them), so `minisign -Vm report.json
//! -p pgconform.pub` checks a report without pgconform.
//!
//! The signature covers the report file's bytes exactly as written; the
//! signing key's ID is recorded in the report (`signature_key_id`) before it
//! is sealed and signed. Secret keys are never formatted: [`SigningKey`]'s
//! `Debug` shows only the key ID, and no error message quotes key text.

use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Suffix of a signature file: `report.json` is signed by `report.json.minisig`.
pub const SIGNATURE_SUFFIX: &str = ".minisig";

/// The signature file that belongs to `report`.
pub fn signature_path(report: &Path) -> PathBuf {
    let mut s = report.as_os_str().to_owned();
    s.push(SIGNATURE_SUFFIX);
    PathBuf::from(s)
}

/// A key ID as minisign prints it: the 8-byte key number as a little-endian
/// u64 in 16 uppercase hex digits.
fn key_id_of(keynum: &[u8]) -> String {
    let mut b = [0u8; 8];
    let n = keynum.len().min(8);
    b[..n].copy_from_slice(&keynum[..n]);
    format!("{:016X}", u64::from_le_bytes(b))
}

/// Something wrong with key material. Messages never contain key text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a minisign secret key.
    #[error("{source_name}: not a minisign secret key ({why}); expected the two-line file `pgconform keygen` writes")]
    NotASecretKey {
        /// Where the key came from (a file name or an environment variable's name).
        source_name: String,
        /// What is wrong, without the key text.
        why: String,
    },
    /// A password-protected secret key.
    #[error("{0}: the secret key is password-protected; pgconform signs non-interactively and needs a passwordless key (`pgconform keygen`, or `minisign -G -W`) kept in the CI's secret store")]
    Encrypted(String),
    /// Not a minisign public key.
    #[error("{source_name}: not a minisign public key ({why}); expected a `.pub` file or its base64 line (`RW…`)")]
    NotAPublicKey {
        /// File name or the argument.
        source_name: String,
        /// What is wrong.
        why: String,
    },
    /// Key generation or signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A secret key that signs reports. Its `Debug` shows only the key ID.
#[derive(Clone)]
pub struct SigningKey {
    sk: SecretKey,
    pk: PublicKey,
    key_id: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(key id {}, secret redacted)", self.key_id)
    }
}

/// A freshly generated key pair, as the texts of its two files.
pub struct GeneratedKey {
    /// The key ID.
    pub key_id: String,
    /// Content of the public key file (minisign format).
    pub public_text: String,
    /// The public key's base64 line alone (for `--trusted-key RW…`).
    pub public_base64: String,
    /// Content of the secret key file (minisign format, passwordless).
    pub secret_text: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GeneratedKey(key id {}, secret redacted)", self.key_id)
    }
}

/// Generate a passwordless key pair (CI signs without a prompt; the secret
/// key's protection is the CI's secret store and the file's mode).
pub fn generate() -> Result<GeneratedKey, KeyError> {
    let kp = KeyPair::generate_unencrypted_keypair().map_err(|e| KeyError::Sign(e.to_string()))?;
    let key_id = key_id_of(kp.pk.keynum());
    let public_text = kp
        .pk
        .to_box()
        .map_err(|e| KeyError::Sign(e.to_string()))?
        .into_string();
    let secret_text = kp
        .sk
        .to_box(Some(&format!(
            "pgconform secret key {key_id} (passwordless: keep it in a secret store)"
        )))
        .map_err(|e| KeyError::Sign(e.to_string()))?
        .into_string();
    Ok(GeneratedKey {
        public_base64: kp.pk.to_base64(),
        key_id,
        public_text,
        secret_text,
    })
}

/// The base64 line of a minisign key file's text: the file (an `untrusted
/// comment:` line and the key line) or the key line alone.
fn key_line(text: &str) -> Result<&str, &'static str> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [one] => Ok(one),
        [comment, key] if comment.starts_with("untrusted comment:") => Ok(key),
        [] => Err("it is empty"),
        _ => Err("expected a comment line and a base64 line"),
    }
}

impl SigningKey {
    /// Parse a minisign secret key (the file's text; a lone base64 line is
    /// accepted too). `source_name` names it in errors; the text never appears.
    pub fn parse(source_name: &str, text: &str) -> Result<Self, KeyError> {
        let bad = |why: &str| KeyError::NotASecretKey {
            source_name: source_name.to_owned(),
            why: why.to_owned(),
        };
        let b64 = key_line(text).map_err(bad)?;
        let boxed = SecretKeyBox::from_string(&format!("untrusted comment: \n{b64}\n"))
            .map_err(|_| bad("cannot read it"))?;
        let sk = match SecretKey::from_unencrypted_box(boxed) {
            Ok(sk) => sk,
            Err(e) if e.to_string().contains("encrypted") => {
                return Err(KeyError::Encrypted(source_name.to_owned()))
            }
            Err(_) => return Err(bad("bad base64, wrong length or checksum")),
        };
        let pk = PublicKey::from_secret_key(&sk)
            .map_err(|_| bad("it does not contain its public key"))?;
        let key_id = key_id_of(sk.keynum());
        Ok(Self { sk, pk, key_id })
    }

    /// The key ID (16 uppercase hex digits, as minisign prints it).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The matching public key, trusted by whoever holds this secret key.
    pub fn trusted(&self) -> TrustedKey {
        TrustedKey {
            key_id: self.key_id.clone(),
            source: format!("the signing key {}", self.key_id),
            pk: self.pk.clone(),
        }
    }

    /// Sign `bytes` (a report file's exact content); returns the text of
    /// the `.minisig` file. The trusted comment names the file and its
    /// integrity hash, so `minisign -V` shows what was signed.
    pub fn sign(&self, bytes: &[u8], file_name: &str, integrity: &str) -> Result<String, KeyError> {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let file_name: String = file_name
            .chars()
            .map(|c| if c.is_control() { '_' } else { c })
            .collect();
        let trusted = format!(
            "timestamp:{ts}\tfile:{file_name}\tpgconform report integrity_sha256:{integrity}"
        );
        let untrusted = format!("pgconform report signature from key {}", self.key_id);
        let sig = minisign::sign(
            Some(&self.pk),
            &self.sk,
            Cursor::new(bytes),
            Some(&trusted),
            Some(&untrusted),
        )
        .map_err(|e| KeyError::Sign(e.to_string()))?;
        Ok(sig.into_string())
    }
}

/// A public key the gate (or a merge) trusts.
#[derive(Clone)]
pub struct TrustedKey {
    /// Its key ID.
    pub key_id: String,
    /// Where it came from (file or argument), for messages.
    pub source: String,
    pk: PublicKey,
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedKey({} from {})", self.key_id, self.source)
    }
}

impl TrustedKey {
    /// Parse a minisign public key: a `.pub` file's text (comment line and
    /// base64 line) or the base64 line alone.
    pub fn parse(source_name: &str, text: &str) -> Result<Self, KeyError> {
        let bad = |why: String| KeyError::NotAPublicKey {
            source_name: source_name.to_owned(),
            why,
        };
        let b64 = key_line(text).map_err(|why| bad(why.to_owned()))?;
        let pk = PublicKeyBox::from_string(&format!("untrusted comment: \n{b64}\n"))
            .and_then(PublicKeyBox::into_public_key)
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            key_id: key_id_of(pk.keynum()),
            source: source_name.to_owned(),
            pk,
        })
    }

    /// Parse `--trusted-key ARG`: a file holding a public key, or the key's
    /// base64 line itself.
    pub fn from_arg(arg: &str) -> Result<Self, KeyError> {
        let path = Path::new(arg);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| KeyError::NotAPublicKey {
                source_name: arg.to_owned(),
                why: format!("cannot read it: {e}"),
            })?;
            Self::parse(arg, &text)
        } else if arg.starts_with("RW") {
            Self::parse("--trusted-key", arg)
        } else {
            Err(KeyError::NotAPublicKey {
                source_name: arg.to_owned(),
                why: "no such file, and not a base64 public key".to_owned(),
            })
        }
    }
}

/// What a report's signature file says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// There is no signature file.
    Unsigned,
    /// The signature file is not a minisign signature.
    Malformed(String),
    /// Signed by a key that is not trusted (or nothing is trusted).
    Untrusted {
        /// The signature's key ID.
        key_id: String,
    },
    /// Signed by a trusted key's ID, but the signature does not verify: the
    /// bytes changed after signing (or the signature was forged).
    Invalid {
        /// The signature's key ID.
        key_id: String,
    },
    /// A trusted key signed exactly these bytes.
    Verified {
        /// The key ID.
        key_id: String,
        /// The signature's trusted comment.
        trusted_comment: String,
    },
}

impl SignatureCheck {
    /// The key ID the signature names, if it could be read.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Self::Untrusted { key_id }
            | Self::Invalid { key_id }
            | Self::Verified { key_id, .. } => Some(key_id),
            Self::Unsigned | Self::Malformed(_) => None,
        }
    }
}

/// Check `signature` (the `.minisig` text, `None` if there is none) over
/// `bytes` against `trusted`.
pub fn check(bytes: &[u8], signature: Option<&str>, trusted: &[TrustedKey]) -> SignatureCheck {
    let Some(text) = signature else {
        return SignatureCheck::Unsigned;
    };
    let sig = match SignatureBox::from_string(text) {
        Ok(s) => s,
        Err(e) => return SignatureCheck::Malformed(e.to_string()),
    };
    let key_id = key_id_of(sig.keynum());
    let candidates: Vec<&TrustedKey> = trusted.iter().filter(|t| t.key_id == key_id).collect();
    if candidates.is_empty() {
        return SignatureCheck::Untrusted { key_id };
    }
    for t in candidates {
        if minisign::verify(&t.pk, &sig, Cursor::new(bytes), true, false, false).is_ok() {
            return SignatureCheck::Verified {
                trusted_comment: sig.trusted_comment().unwrap_or_default(),
                key_id,
            };
        }
    }
    SignatureCheck::Invalid { key_id }
}

/// Read the signature file next to `report` (`None` when it does not exist).
pub fn read_signature(report: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(signature_path(report)) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// How a shard of a merged report was signed, as the merge found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShardSignature {
    /// Key ID of the shard's signature (or the ID its report records when
    /// the signature file was missing).
    pub key_id: String,
    /// Whether the merge verified the signature against a key it trusted
    /// (`report merge --trusted-key`, or its own `--sign-key`).
    pub verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_tamper_and_other_key() {
        let g = generate().expect("keygen");
        let key = SigningKey::parse("test", &g.secret_text).expect("secret key");
        assert_eq!(key.key_id(), g.key_id);
        assert!(!format!("{key:?}").contains(g.secret_text.lines().nth(1).unwrap_or("x")));
        let pubkey = TrustedKey::parse("pub", &g.public_text).expect("public key");
        let pub_b64 = TrustedKey::parse("pub", &g.public_base64).expect("public b64");
        assert_eq!(pubkey.key_id, pub_b64.key_id);
        let sig = key.sign(b"{}\n", "report.json", "abc").expect("sign");
        let ok = check(b"{}\n", Some(&sig), std::slice::from_ref(&pubkey));
        assert!(matches!(ok, SignatureCheck::Verified { .. }), "{ok:?}");
        assert_eq!(
            check(b"{ }\n", Some(&sig), std::slice::from_ref(&pubkey)),
            SignatureCheck::Invalid {
                key_id: g.key_id.clone()
            }
        );
        let other = TrustedKey::parse("o", &generate().expect("k2").public_text).expect("o");
        assert_eq!(
            check(b"{}\n", Some(&sig), &[other]),
            SignatureCheck::Untrusted { key_id: g.key_id }
        );
        assert_eq!(
            check(b"{}\n", None, std::slice::from_ref(&pubkey)),
            SignatureCheck::Unsigned
        );
        assert!(matches!(
            check(b"{}\n", Some("garbage"), &[pubkey]),
            SignatureCheck::Malformed(_)
        ));
    }

    #[test]
    fn key_errors_never_quote_the_key() {
        let g = generate().expect("keygen");
        let line = g.secret_text.lines().nth(1).unwrap_or_default().to_owned();
        let broken = format!("untrusted comment: x\n{}A\n", &line[..line.len() - 4]);
        let e = SigningKey::parse("env", &broken).expect_err("broken");
        assert!(!e.to_string().contains(&line[..20]), "{e}");
        let e =
            TrustedKey::parse("pub", &g.secret_text).expect_err("a secret key is no public key");
        assert!(!e.to_string().contains(&line[..20]), "{e}");
    }
}
