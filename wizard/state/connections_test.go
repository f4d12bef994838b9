package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConnectionsListUpdateAndDelete(t *testing.T) {
	dir := t.TempDir()
	if list, err := Connections(dir); err != nil || len(list) != 0 {
		t.Fatalf("empty dir: %v %v", list, err)
	}
	a := Connection{Cloud: "global", TenantID: "T1", ClientID: "C1", AppDisplayName: "HelpMaster", Mailboxes: []string{"helpdesk@contoso.com"},
		Credential: CredentialInfo{Type: "secret", KeyID: "k1", Hint: "abc", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if err := SaveConnection(dir, a); err != nil {
		t.Fatal(err)
	}
	if err := SaveConnection(dir, Connection{TenantID: "T2", ClientID: "C2", AppDisplayName: "Other"}); err != nil {
		t.Fatal(err)
	}
	// A rotation names only the new credential: the rest is kept.
	if err := SaveConnection(dir, Connection{TenantID: "t1", ClientID: "c1", Credential: CredentialInfo{Type: "secret", KeyID: "k2", Hint: "xyz"}}); err != nil {
		t.Fatal(err)
	}
	list, err := Connections(dir)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	got := list[0] // most recently saved first
	if !strings.EqualFold(got.ClientID, "C1") || got.AppDisplayName != "HelpMaster" || got.Credential.KeyID != "k2" || got.Mailboxes[0] != "helpdesk@contoso.com" {
		t.Fatalf("updated entry: %+v", got)
	}
	if err := DeleteConnection(dir, "T1", "C1"); err != nil {
		t.Fatal(err)
	}
	if list, _ := Connections(dir); len(list) != 1 || list[0].ClientID != "C2" {
		t.Fatalf("after delete: %+v", list)
	}
}

func TestConnectionRefusesSecretText(t *testing.T) {
	dir := t.TempDir()
	err := SaveConnection(dir, Connection{TenantID: "T", ClientID: "C", AppDisplayName: "abc8Q~" + strings.Repeat("x", 34)})
	if !errors.Is(err, ErrSecretInProgress) {
		t.Fatalf("secret-shaped text saved: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ConnectionsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file written: %v", err)
	}
}

func TestDamagedConnectionsFileSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ConnectionsFile), []byte("{not json"), 0o600)
	if _, err := Connections(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("damaged file: %v", err)
	}
}
