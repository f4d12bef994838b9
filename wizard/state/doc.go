// Package state keeps what the wizard must remember between runs, none of it
// secret: the setup progress (so an interrupted setup resumes at its last
// step) and the activity log (every change the wizard made or tried, for
// support tickets).
//
// Both live in the config directory ([ConfigDir]): $M365WIZARD_CONFIG_DIR when
// set, else os.UserConfigDir()/m365wizard (%AppData%\m365wizard on Windows).
//
//   - progress.json: the current [Progress], replaced atomically on every save
//     (temporary file in the same directory, fsync, rename), so a crash or a
//     full disk leaves the previous state intact. Files are created 0600.
//   - activity.jsonl: the activity [Log], one JSON object per line, appended
//     and fsynced per entry.
//   - certificates/<tenantID>_<clientID>.pem: an app's public certificate
//     ([SaveCertificate]); its private key is only in the keychain.
//
// Secrets never go here. Progress has no field for a secret or key, and Save
// refuses a Progress in which any text looks like a client secret, a token or
// a private key. The activity log redacts such text, and any value registered
// with [Log.Forbid], before it reaches the disk (and again when reading).
//
// Saves, loads and appends are serialised within the process per file. Two
// wizard processes on the same directory cannot corrupt either file (each
// progress save is a rename, each log entry one append), but the last progress
// save wins.
package state
