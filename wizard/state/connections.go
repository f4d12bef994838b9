package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"
)

// ConnectionsFile lists the apps whose credentials the keychain holds.
const ConnectionsFile = "connections.json"

const connectionsVersion = 1

// Connection describes one app whose credential is in the keychain: enough
// for the Welcome screen and `m365wizard status` to say what is stored and
// when its secret expires, without reading the keychain. It has no field for a
// secret (the keychain cannot be listed portably, hence this file).
type Connection struct {
	Cloud              string         `json:"cloud,omitempty"`
	TenantID           string         `json:"tenantId"`
	TenantName         string         `json:"tenantName,omitempty"`
	Profile            string         `json:"profile,omitempty"`
	ProfileFile        string         `json:"profileFile,omitempty"` // the admin's own profile file, if one was used
	AppDisplayName     string         `json:"appDisplayName,omitempty"`
	ClientID           string         `json:"clientId"`
	AppObjectID        string         `json:"appObjectId,omitempty"`
	ServicePrincipalID string         `json:"servicePrincipalId,omitempty"`
	Features           []string       `json:"features,omitempty"`
	Permissions        []string       `json:"permissions,omitempty"` // a custom profile's picked permissions
	Domains            []string       `json:"domains,omitempty"`     // a profile's domain filter
	Mailboxes          []string       `json:"mailboxes,omitempty"`
	Scoping            string         `json:"scoping,omitempty"`
	Credential         CredentialInfo `json:"credential,omitzero"`
	Saved              time.Time      `json:"saved"`
}

type connectionsFile struct {
	Version     int          `json:"version"`
	Connections []Connection `json:"connections"`
}

func sameApp(c Connection, tenantID, clientID string) bool {
	return strings.EqualFold(c.TenantID, tenantID) && strings.EqualFold(c.ClientID, clientID)
}

// Connections lists what the keychain holds, most recently saved first. No
// file means nothing is stored (an empty list, no error).
func Connections(dir string) ([]Connection, error) {
	path := filepath.Join(dir, ConnectionsFile)
	mu := lockFor(path)
	mu.Lock()
	defer mu.Unlock()
	return readConnections(path)
}

func readConnections(path string) ([]Connection, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the list of stored settings: %w", err)
	}
	var f connectionsFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version < 1 || f.Version > connectionsVersion {
		return nil, fmt.Errorf("%s is damaged or from a newer version of the wizard: delete it (the keychain entries stay) and save the settings again", path)
	}
	slices.SortStableFunc(f.Connections, func(a, b Connection) int { return b.Saved.Compare(a.Saved) })
	return f.Connections, nil
}

// SaveConnection adds c to the list, or updates the entry of the same tenant
// and client ID; fields c leaves empty keep their saved value (a rotated
// secret keeps the app's name and mailboxes). Refused like a Progress when any
// text looks like a secret.
func SaveConnection(dir string, c Connection) error {
	if c.TenantID == "" || c.ClientID == "" {
		return errors.New("saving stored settings: the tenant and client IDs are required")
	}
	if err := refuseSecrets(c, c.Credential.Hint); err != nil {
		return err
	}
	if err := ensureDir(dir); err != nil {
		return err
	}
	path := filepath.Join(dir, ConnectionsFile)
	mu := lockFor(path)
	mu.Lock()
	defer mu.Unlock()
	list, err := readConnections(path)
	if err != nil {
		return err
	}
	c.Saved = time.Now().UTC()
	i := slices.IndexFunc(list, func(o Connection) bool { return sameApp(o, c.TenantID, c.ClientID) })
	if i < 0 {
		list = append(list, c)
	} else {
		list[i] = merge(list[i], c)
	}
	return writeConnections(dir, list)
}

// merge overlays the non-empty fields of n on old.
func merge(old, n Connection) Connection {
	ov, nv := reflect.ValueOf(&old).Elem(), reflect.ValueOf(n)
	for i := 0; i < nv.NumField(); i++ {
		if !nv.Field(i).IsZero() {
			ov.Field(i).Set(nv.Field(i))
		}
	}
	return old
}

// DeleteConnection removes the entry of tenantID/clientID; no entry is no error.
func DeleteConnection(dir, tenantID, clientID string) error {
	path := filepath.Join(dir, ConnectionsFile)
	mu := lockFor(path)
	mu.Lock()
	defer mu.Unlock()
	list, err := readConnections(path)
	if err != nil || len(list) == 0 {
		return err
	}
	kept := slices.DeleteFunc(list, func(o Connection) bool { return sameApp(o, tenantID, clientID) })
	return writeConnections(dir, kept)
}

func writeConnections(dir string, list []Connection) error {
	if list == nil {
		list = []Connection{}
	}
	data, err := json.MarshalIndent(connectionsFile{Version: connectionsVersion, Connections: list}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(dir, ConnectionsFile, append(data, '\n')); err != nil {
		return fmt.Errorf("saving the list of stored settings in %s: %w", dir, err)
	}
	return nil
}
