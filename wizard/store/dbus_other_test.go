//go:build !linux

package store

import "testing"

// secretServiceItems cannot look behind go-keyring here; -1 means unknown.
func secretServiceItems(*testing.T, string, string) int { return -1 }

func lockLogin(t *testing.T, _ string) {
	t.Skip("locking the keychain from a test is implemented for GNOME Keyring only")
}

func unlockLogin(*testing.T, string) {}
