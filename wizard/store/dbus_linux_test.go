package store

import (
	"testing"

	dbus "github.com/godbus/dbus/v5"
)

const (
	ssName       = "org.freedesktop.secrets"
	ssService    = "org.freedesktop.Secret.Service"
	loginKeyring = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
)

func secretService(t *testing.T) (*dbus.Conn, dbus.BusObject) {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	return conn, conn.Object(ssName, "/org/freedesktop/secrets")
}

// secretServiceItems counts the Secret Service items for service and account
// by asking the Secret Service directly, not through go-keyring.
func secretServiceItems(t *testing.T, service, account string) int {
	t.Helper()
	_, obj := secretService(t)
	var unlocked, locked []dbus.ObjectPath
	attrs := map[string]string{"service": service, "username": account}
	if err := obj.Call(ssService+".SearchItems", 0, attrs).Store(&unlocked, &locked); err != nil {
		t.Fatalf("SearchItems: %v", err)
	}
	return len(unlocked) + len(locked)
}

func lockLogin(t *testing.T, password string) {
	t.Helper()
	_, obj := secretService(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := obj.Call(ssService+".Lock", 0, []dbus.ObjectPath{loginKeyring}).Store(&locked, &prompt); err != nil || len(locked) != 1 {
		t.Fatalf("locking the login keyring: %v (locked %v, prompt %v)", err, locked, prompt)
	}
	t.Cleanup(func() { unlockLogin(t, password) })
}

// unlockLogin unlocks the login keyring with its password through GNOME
// Keyring's own interface (the standard Unlock needs a prompt).
func unlockLogin(t *testing.T, password string) {
	t.Helper()
	_, obj := secretService(t)
	var ignore dbus.Variant
	var session dbus.ObjectPath
	if err := obj.Call(ssService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&ignore, &session); err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(password), "text/plain"}
	if err := obj.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0, loginKeyring, secret).Err; err != nil {
		t.Fatalf("unlocking the login keyring: %v", err)
	}
}
