// Package store keeps an app's client secret or certificate private key in the
// operating system's keychain, and nowhere else.
//
// The keychain is reached through github.com/zalando/go-keyring: Windows
// Credential Manager, the macOS login keychain, or a freedesktop Secret Service
// (GNOME Keyring, KWallet) on Linux. There is no plain-text fallback: when no
// keychain can be used the operation fails with an [*UnavailableError] that
// keeps the cause and tells the admin what to do.
//
// # Entries
//
// Each app has one entry, under the service name ([ServiceName]: the
// M365WIZARD_KEYRING_SERVICE environment variable, else "m365wizard") and the
// account "<tenantID>/<clientID>" with both GUIDs in lower case. The entry's
// value is a small versioned JSON object: the credential type, the tenant and
// client IDs (checked on reading), the key ID, certificate thumbprint and
// expiry (not secret, kept so a loaded credential describes itself), and either
// the secret value or the private key.
//
// # Certificates and the 2,560-byte limit
//
// Windows Credential Manager stores at most 2,560 bytes per entry
// (CRED_MAX_CREDENTIAL_BLOB_SIZE; go-keyring refuses more with
// ErrSetDataTooBig). A PEM bundle of certificate and 2048-bit RSA key is about
// 2.8 KB, so it does not fit. The store therefore keeps only the private key in
// the keychain, as base64 of its PKCS#8 DER (about 1.6 KB for 2048-bit RSA, about
// 1.9 KB for the whole entry). The certificate itself is public: the caller keeps
// it outside the keychain (package wizard/state's SaveCertificate writes it to
// the config folder; it takes the same bundle and drops the key) and pairs it
// with the key again after [Store.Load], by appending the certificate PEM to
// [Credential.PrivateKeyPEM] for MSAL's CertFromPEM. The thumbprint stored in
// the entry tells which certificate belongs to the key.
//
// Chunking a larger value across several entries was rejected: a rotation would
// then write several entries that can fail half way, and one entry per app keeps
// a save a single, all-or-nothing keychain write. The same 2,560-byte bound is
// enforced on every platform, so a credential that saves on Linux in CI also
// saves on Windows; keys that do not fit (RSA 3072 bits and more) are refused
// with [ErrTooLarge] before the keychain is touched. 2048-bit RSA (what the
// wizard generates) and ECDSA keys fit.
//
// # Calls, time limits and concurrency
//
// A [Store] is safe for concurrent use. Keychain calls are made one at a time
// per process, each in its own goroutine and bounded by the caller's context and
// by a time limit (10 seconds by default), because a Secret Service call can
// block indefinitely on D-Bus, for instance while an unlock prompt waits. When
// the limit is reached the call returns an [*UnavailableError] whose cause wraps
// [context.DeadlineExceeded]; the abandoned keychain call may still complete in
// the background, so after a failed [Store.Save] or [Store.Replace] the entry
// holds either the old or the new credential, never a mixture.
//
// # Keeping secrets out of output
//
// [Credential] formats (every fmt verb), marshals to JSON and text, and logs
// through log/slog without its secret or private key. Error messages never
// contain them either. Do not copy a Credential into an unexported field of
// another struct that gets printed with %v: fmt cannot call methods on
// unexported fields.
package store
