// Package validate checks what an admin types into the wizard, before anything
// is sent to Microsoft, and says what is wrong in words an admin understands.
//
// Every function returns nil or an *Error naming the field. Where graphops
// already has the rule (tenant, client ID, secret Value, app name, secret
// lifetime) it decides; this package adds the checks graphops lacks and the
// wording for the screens.
//
// No message repeats what was typed, whatever the field: admins paste into the
// wrong box, so a client secret can arrive in the tenant or client ID field,
// and messages end up in logs and screenshots. (graphops' own tenant and
// client ID messages quote the input; this package words those itself.) The
// mailbox and feature messages may name a single offending character or an
// unknown feature key, never the whole input.
//
// The validators do not trim: Tenant and ClientID accept spaces around the
// value (graphops trims them), so the caller must store strings.TrimSpace of
// what it checked; Secret, Mailbox, AppName and SecretDescription refuse them.
package validate

import (
	"errors"
	"strings"

	"m365wizard/graphops"
)

// Field names, the same as graphops uses for its input errors.
const (
	FieldTenant            = "tenant"
	FieldClientID          = "client-id"
	FieldSecret            = "secret"
	FieldMailbox           = "mailbox"
	FieldAppName           = "app-name"
	FieldSecretLifetime    = "secret-lifetime"
	FieldSecretDescription = "secret-description"
	FieldFeatures          = "features"
)

// Error is an input the wizard cannot use.
type Error struct {
	Field    string // one of the Field constants
	Message  string // what is wrong, for the admin; never contains the input
	NextStep string // what to do about it, when there is more to say
	Code     string // Microsoft's error code this input would cause, if known (AADSTS7000215)
	// Policy is set when a tenant policy, not the input's shape, forbids it
	// (a secret lifetime over the tenant's cap, or no secrets allowed): offer a
	// shorter lifetime or a certificate.
	Policy bool
	err    error // graphops' error, when graphops decided and its message is safe
}

// Error is the message (and the code, as graphops words it).
func (e *Error) Error() string {
	if e.Code != "" {
		return e.Message + " (" + e.Code + ")"
	}
	return e.Message
}

// Unwrap returns graphops' *Error where graphops made the decision and its
// message is safe to show (secret, app name, lifetime); nil otherwise.
func (e *Error) Unwrap() error { return e.err }

// FieldOf is the field an error is about ("" when err is not an input error).
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	if ge, ok := graphops.AsError(err); ok {
		return ge.Field
	}
	return ""
}

func newError(field, msg string) *Error { return &Error{Field: field, Message: msg} }

// fromGraphops keeps graphops' wording (used only where it does not quote the
// input) and its code and next step.
func fromGraphops(field string, err error) error {
	if err == nil {
		return nil // not a nil *Error: that would be a non-nil error
	}
	e := &Error{Field: field, Message: err.Error(), err: err}
	if ge, ok := graphops.AsError(err); ok {
		e.Message, e.NextStep, e.Code = ge.Message, ge.NextStep, ge.Code
		e.Policy = ge.Kind == graphops.KindPolicy
	}
	return e
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) })
}
