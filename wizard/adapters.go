package wizard

import (
	"context"
	"errors"
	"strings"

	"m365wizard/graphops"
	"m365wizard/wizard/profile"
	"m365wizard/wizard/state"
	"m365wizard/wizard/store"
)

// Adapters from the engine's small interfaces to the real packages: profiles
// (wizard/profile), the OS keychain (wizard/store), saved progress and the
// activity log (wizard/state). Both front ends build their Deps from these.

// profileAdapter is a *profile.Profile as the engine uses it.
type profileAdapter struct{ p *profile.Profile }

func (a profileAdapter) Key() string               { return a.p.Key }
func (a profileAdapter) DefaultAppName() string    { return a.p.App.DefaultName }
func (a profileAdapter) DefaultFeatures() []string { return a.p.DefaultFeatures() }
func (a profileAdapter) MailboxScoping() bool      { return a.p.MailboxScoping.Enabled }
func (a profileAdapter) Probes(f, picked []string) []graphops.Probe {
	return a.p.AllProbes(f, picked)
}
func (a profileAdapter) AppSpec(name string, f, picked []string) graphops.AppSpec {
	return a.p.AppSpecFor(name, f, picked)
}
func (a profileAdapter) Info() ProfileInfo {
	i := ProfileInfo{Product: a.p.Product, TestButton: a.p.Test.Button, VendorConsent: a.p.Flow == profile.FlowVendorConsent,
		DefaultCredential: string(a.p.Credential.Default), DomainFilter: a.p.DomainFilter.Enabled,
		DomainLabel: a.p.DomainFilter.Label, DefaultDomains: a.p.DomainFilter.Default, Custom: a.p.Custom()}
	for _, c := range a.p.Credential.Allowed {
		i.Credentials = append(i.Credentials, string(c))
	}
	return i
}

// BuiltinProfiles loads the profiles shipped in assets/profiles (by key or
// alias).
func BuiltinProfiles(key string) (Profile, error) {
	p, err := profile.Load(key)
	if err != nil {
		return nil, err
	}
	return profileAdapter{p}, nil
}

// ProfileOf adapts a profile loaded by the front end (e.g. a user's own file).
func ProfileOf(p *profile.Profile) Profile { return profileAdapter{p} }

// LoadProfile is the profile a State names, as the front ends show it: the
// admin's own file (ProfileFile), else the built-in Profile (HelpMaster when
// empty; an alias works too). Errors are *profile.Error or profile.ErrorList
// for a bad file, and wrap profile.ErrNotFound for an unknown key.
func LoadProfile(st *State) (*profile.Profile, error) {
	if st.ProfileFile != "" {
		return profile.LoadFile(st.ProfileFile)
	}
	key := st.Profile
	if key == "" {
		key = profile.HelpMaster
	}
	return profile.Load(key)
}

// Keychain is the OS keychain as a CredentialStore. Certificates keep only
// their private key in the keychain; the public certificate is a file in the
// config dir (Windows Credential Manager holds 2,560 bytes per entry).
type Keychain struct {
	Store     *store.Store
	ConfigDir string
}

var _ CredentialStore = Keychain{}

// A certificate whose private key the vendor keeps (VendorHeld) has nothing
// secret to store: its public certificate goes to the config folder and the
// list of stored apps says so; the keychain gets no entry (an earlier one for
// the same app is removed, so Load cannot return a stale credential).
func (k Keychain) Save(ctx context.Context, c StoredCredential) error {
	sc := store.Credential{TenantID: c.TenantID, ClientID: c.ClientID, Type: c.Type, Secret: c.Secret, KeyID: c.KeyID, Expires: c.Expires}
	if c.Type == store.TypeCertificate {
		sc.PrivateKeyPEM = c.CertPEM
		if err := state.SaveCertificate(k.ConfigDir, c.TenantID, c.ClientID, c.CertPEM); err != nil {
			return err
		}
	}
	if c.VendorHeld {
		if err := k.Store.Delete(ctx, c.TenantID, c.ClientID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	} else if err := k.Store.Save(ctx, sc); err != nil {
		return err
	}
	// The keychain cannot be listed portably: the list of what it holds is a
	// file of non-secret facts next to the progress.
	return state.SaveConnection(k.ConfigDir, state.Connection{Cloud: c.Cloud, TenantID: c.TenantID, TenantName: c.TenantName,
		Profile: c.Profile, ProfileFile: c.ProfileFile, AppDisplayName: c.AppName, ClientID: c.ClientID, AppObjectID: c.AppObjectID,
		ServicePrincipalID: c.ServicePrincipalID, Features: c.Features, Permissions: c.Permissions, Domains: c.Domains,
		Mailboxes: c.Mailboxes, Scoping: c.Scoping,
		Credential: state.CredentialInfo{Type: c.Type, KeyID: c.KeyID, Hint: c.Hint, Expires: c.Expires, Thumbprint: c.Thumbprint, VendorHeld: c.VendorHeld}})
}

// List is what the keychain holds, most recently saved first (from the list
// Save keeps; the values stay in the keychain).
func (k Keychain) List() ([]state.Connection, error) { return state.Connections(k.ConfigDir) }

func (k Keychain) Load(ctx context.Context, tenantID, clientID string) (StoredCredential, error) {
	// What the list says of the app (a damaged list only loses the names).
	list, _ := k.List()
	var entry *state.Connection
	for i, s := range list {
		if strings.EqualFold(s.TenantID, tenantID) && strings.EqualFold(s.ClientID, clientID) {
			entry = &list[i]
			break
		}
	}
	describe := func(c *StoredCredential) {
		if s := entry; s != nil {
			c.Hint, c.Thumbprint, c.Cloud, c.TenantName = s.Credential.Hint, s.Credential.Thumbprint, s.Cloud, s.TenantName
			c.Profile, c.AppName, c.AppObjectID, c.ServicePrincipalID = s.Profile, s.AppDisplayName, s.AppObjectID, s.ServicePrincipalID
			c.Features, c.Mailboxes, c.Scoping = s.Features, s.Mailboxes, s.Scoping
			c.ProfileFile, c.Permissions, c.Domains = s.ProfileFile, s.Permissions, s.Domains
		}
	}
	if entry != nil && entry.Credential.VendorHeld {
		cert, err := state.LoadCertificate(k.ConfigDir, tenantID, clientID)
		if err != nil {
			return StoredCredential{}, err
		}
		c := StoredCredential{TenantID: entry.TenantID, ClientID: entry.ClientID, Type: store.TypeCertificate, CertPEM: cert,
			KeyID: entry.Credential.KeyID, Expires: entry.Credential.Expires, VendorHeld: true}
		describe(&c)
		return c, nil
	}
	sc, err := k.Store.Load(ctx, tenantID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return StoredCredential{}, ErrNotStored
	}
	if err != nil {
		return StoredCredential{}, err
	}
	c := StoredCredential{TenantID: sc.TenantID, ClientID: sc.ClientID, Type: sc.Type, Secret: sc.Secret, KeyID: sc.KeyID, Expires: sc.Expires}
	if sc.Type == store.TypeCertificate {
		cert, err := state.LoadCertificate(k.ConfigDir, tenantID, clientID)
		if err != nil {
			return StoredCredential{}, err
		}
		c.CertPEM = append(append([]byte{}, cert...), sc.PrivateKeyPEM...)
	}
	describe(&c)
	return c, nil
}

func (k Keychain) Delete(ctx context.Context, tenantID, clientID string) error {
	err := k.Store.Delete(ctx, tenantID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	if cerr := state.DeleteCertificate(k.ConfigDir, tenantID, clientID); cerr != nil && !errors.Is(cerr, state.ErrNoCertificate) && err == nil {
		err = cerr
	}
	if err == nil {
		err = state.DeleteConnection(k.ConfigDir, tenantID, clientID)
	}
	return err
}

// ProgressFile keeps Progress in the config dir (wizard/state).
type ProgressFile struct{ Dir string }

var _ ProgressStore = ProgressFile{}

func (f ProgressFile) Save(p Progress) error {
	sp := state.Progress{Flow: string(p.Flow), Step: string(p.Step), Cloud: p.Cloud, TenantID: p.TenantID, TenantName: p.TenantName,
		Profile: p.Profile, ProfileFile: p.ProfileFile, Permissions: p.Permissions, Domains: p.Domains, AppDisplayName: p.AppName, UniqueName: p.UniqueName, AppObjectID: p.AppObjectID, ClientID: p.ClientID,
		ServicePrincipalID: p.ServicePrincipalID, AppCreated: p.AppCreated, Features: p.Features, Mailboxes: p.Mailboxes, Scoping: p.Scoping,
		Credential: state.CredentialInfo{Type: p.CredentialType, KeyID: p.KeyID, Hint: p.Hint, Expires: p.Expires},
		GroupName:  p.GroupName, GroupAddress: p.GroupAddress, OutsideMailbox: p.OutsideMailbox,
		LeftoverKeyIDs: p.Leftovers, Completed: p.Completed, Aborted: p.Aborted}
	for _, d := range p.Done {
		sp.Done = append(sp.Done, string(d))
	}
	return state.Save(f.Dir, sp)
}

func (f ProgressFile) Load() (Progress, bool, error) {
	sp, err := state.Load(f.Dir)
	if errors.Is(err, state.ErrNoProgress) {
		return Progress{}, false, nil
	}
	if err != nil {
		return Progress{}, false, err
	}
	p := Progress{Flow: FlowKind(sp.Flow), Step: StepID(sp.Step), Cloud: sp.Cloud, TenantID: sp.TenantID, TenantName: sp.TenantName,
		Profile: sp.Profile, ProfileFile: sp.ProfileFile, Permissions: sp.Permissions, Domains: sp.Domains, AppName: sp.AppDisplayName, UniqueName: sp.UniqueName, AppObjectID: sp.AppObjectID, ClientID: sp.ClientID,
		ServicePrincipalID: sp.ServicePrincipalID, AppCreated: sp.AppCreated, Features: sp.Features, Mailboxes: sp.Mailboxes, Scoping: sp.Scoping,
		CredentialType: sp.Credential.Type, KeyID: sp.Credential.KeyID, Hint: sp.Credential.Hint, Expires: sp.Credential.Expires,
		GroupName: sp.GroupName, GroupAddress: sp.GroupAddress, OutsideMailbox: sp.OutsideMailbox,
		Leftovers: sp.LeftoverKeyIDs, Completed: sp.Completed, Aborted: sp.Aborted, Updated: sp.Updated}
	for _, d := range sp.Done {
		p.Done = append(p.Done, StepID(d))
	}
	return p, true, nil
}

func (f ProgressFile) Clear() error { return state.Clear(f.Dir) }

// LogFile is the activity log in the config dir. Secrets the engine handles
// are registered with it as forbidden values, on top of its pattern guards.
type LogFile struct{ Log *state.Log }

func (l LogFile) Record(a Activity) {
	out := state.OK
	if !strings.EqualFold(a.Outcome, "ok") {
		out = state.Failed
	}
	_ = l.Log.Append(state.Entry{Time: a.Time, Operation: a.Operation, Object: a.Object, Outcome: out, RequestID: a.RequestID, Message: a.Message})
}

// Forbid registers secret values the log must never contain, however escaped.
func (l LogFile) Forbid(values ...string) { l.Log.Forbid(values...) }
