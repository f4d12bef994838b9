package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"time"
	"unicode/utf8"
)

// progressVersion is the format of progress.json.
const progressVersion = 1

// maxHint is the longest credential hint accepted: Entra ID's hint is the
// first three characters of a secret, which it shows to every reader.
const maxHint = 3

var (
	// ErrNoProgress means no setup progress is saved.
	ErrNoProgress = errors.New("no saved setup progress")
	// ErrCorrupt means progress.json exists but cannot be read.
	ErrCorrupt = errors.New("the saved setup progress is damaged or from a newer version of the wizard; start the setup again to replace it")
	// ErrSecretInProgress means Save refused a Progress containing something
	// shaped like a secret, token or private key.
	ErrSecretInProgress = errors.New("refusing to save setup progress that contains a secret, token or private key; secrets go only to the keychain")
)

// Progress is what the wizard has done so far, saved after each step. None
// of it is secret; there is deliberately no field for a secret or key.
type Progress struct {
	Version int      `json:"version"`
	Flow    string   `json:"flow"`           // e.g. "setup", "rotate"
	Step    string   `json:"step"`           // the current step's ID
	Done    []string `json:"done,omitempty"` // IDs of the steps completed so far

	Cloud      string `json:"cloud,omitempty"` // national cloud, e.g. "global"
	TenantID   string `json:"tenantId,omitempty"`
	TenantName string `json:"tenantName,omitempty"`
	Profile    string `json:"profile,omitempty"` // integration profile, e.g. "helpmaster"
	// ProfileFile is the admin's own profile file, when the setup used one.
	ProfileFile string `json:"profileFile,omitempty"`

	AppDisplayName     string `json:"appDisplayName,omitempty"`
	UniqueName         string `json:"uniqueName,omitempty"`
	AppObjectID        string `json:"appObjectId,omitempty"`
	ClientID           string `json:"clientId,omitempty"`
	ServicePrincipalID string `json:"servicePrincipalId,omitempty"`
	AppCreated         bool   `json:"appCreated,omitempty"` // the setup made the app (not found from earlier)

	Features    []string `json:"features,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	Domains     []string `json:"domains,omitempty"` // a profile's domain filter ("*" or names)

	Credential CredentialInfo `json:"credential,omitzero"`
	// LeftoverKeyIDs are secrets an interrupted run made and never stored
	// (their values are lost): removed from the app once a new one tested green.
	LeftoverKeyIDs []string `json:"leftoverKeyIds,omitempty"`

	Mailboxes []string `json:"mailboxes,omitempty"`
	Scoping   string   `json:"scoping,omitempty"` // mailbox scoping mode
	// The scoping group as chosen (empty: the defaults), and the mailbox
	// Test Settings expects to be refused.
	GroupName      string `json:"groupName,omitempty"`
	GroupAddress   string `json:"groupAddress,omitempty"`
	OutsideMailbox string `json:"outsideMailbox,omitempty"`

	Updated   time.Time `json:"updated"` // set by Save
	Completed bool      `json:"completed"`
	Aborted   bool      `json:"aborted,omitempty"`
}

// CredentialInfo describes the app's credential without its value.
type CredentialInfo struct {
	Type       string    `json:"type,omitempty"` // "secret" or "certificate"
	KeyID      string    `json:"keyId,omitempty"`
	Hint       string    `json:"hint,omitempty"` // Entra ID's hint: a secret's first 3 characters
	Expires    time.Time `json:"expires,omitzero"`
	Thumbprint string    `json:"thumbprint,omitempty"`
	// VendorHeld: a certificate whose private key the vendor keeps; the
	// keychain has no entry for it (nothing secret to store).
	VendorHeld bool `json:"vendorHeld,omitempty"`
}

// check refuses text that looks secret in any string field, and a hint longer
// than Entra ID's. Messages name the field, never its value.
func (p Progress) check() error { return refuseSecrets(p, p.Credential.Hint) }

// refuseSecrets is check for any saved record v whose credential hint is hint.
func refuseSecrets(v any, hint string) error {
	if n := utf8.RuneCountInString(hint); n > maxHint {
		return fmt.Errorf("%w: credential hint has %d characters, a hint has at most %d", ErrSecretInProgress, n, maxHint)
	}
	var bad string
	walkStrings(reflect.ValueOf(v), "", func(field, s string) {
		if bad == "" && looksSecret(s) {
			bad = field
		}
	})
	if bad != "" {
		return fmt.Errorf("%w (field %s)", ErrSecretInProgress, bad)
	}
	return nil
}

// walkStrings calls f for every string in v (structs, slices), with its
// field path.
func walkStrings(v reflect.Value, path string, f func(field, s string)) {
	switch v.Kind() {
	case reflect.String:
		f(path, v.String())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			name := v.Type().Field(i).Name
			if path != "" {
				name = path + "." + name
			}
			walkStrings(v.Field(i), name, f)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

// Save replaces the saved progress in dir with p, stamped with the current
// time, atomically: after a crash or error dir holds either the previous
// progress or p, whole. It refuses (ErrSecretInProgress) a Progress containing
// anything shaped like a secret, token or private key.
func Save(dir string, p Progress) error {
	if err := p.check(); err != nil {
		return err
	}
	if err := ensureDir(dir); err != nil {
		return err
	}
	p.Version = progressVersion
	p.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("saving setup progress: %w", err)
	}
	data = append(data, '\n')
	mu := lockFor(filepath.Join(dir, ProgressFile))
	mu.Lock()
	defer mu.Unlock()
	if err := writeAtomic(dir, ProgressFile, data); err != nil {
		return fmt.Errorf("saving setup progress in %s: %w", dir, err)
	}
	return nil
}

// Load reads the progress saved in dir: ErrNoProgress (with a zero Progress)
// when there is none, ErrCorrupt when the file cannot be read as progress.
func Load(dir string) (Progress, error) {
	path := filepath.Join(dir, ProgressFile)
	mu := lockFor(path)
	mu.Lock()
	data, err := os.ReadFile(path)
	mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return Progress{}, ErrNoProgress
	}
	if err != nil {
		return Progress{}, fmt.Errorf("reading setup progress: %w", err)
	}
	var p Progress
	if err := json.Unmarshal(data, &p); err != nil {
		return Progress{}, fmt.Errorf("%s: %w (%v)", path, ErrCorrupt, err)
	}
	if p.Version != progressVersion {
		return Progress{}, fmt.Errorf("%s: %w (format version %d, this wizard reads %d)", path, ErrCorrupt, p.Version, progressVersion)
	}
	return p, nil
}

// Clear forgets the saved progress in dir, and any temporary file an
// interrupted save left behind. The activity log stays. Clearing nothing is
// not an error.
func Clear(dir string) error {
	path := filepath.Join(dir, ProgressFile)
	mu := lockFor(path)
	mu.Lock()
	defer mu.Unlock()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clearing setup progress: %w", err)
	}
	stray, _ := filepath.Glob(filepath.Join(dir, "."+ProgressFile+".*.tmp"))
	for _, f := range stray {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clearing setup progress: %w", err)
		}
	}
	return nil
}
