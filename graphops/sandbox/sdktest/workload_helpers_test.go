package sdktest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"m365wizard/graphops/sandbox"
)

// startWith runs a sandbox with options for one test.
func startWith(t *testing.T, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// addApp registers an app with a service principal in the primary tenant and
// grants it the Microsoft Graph application permissions roles (admin consent
// given an hour ago), arranged directly in the model. It returns the appId.
func addApp(t *testing.T, s *sandbox.Server, name string, roles ...string) string {
	t.Helper()
	appID := uuid.NewString()
	var missing []string
	err := s.Tenant("", func(tn *sandbox.Tenant) {
		past := time.Now().Add(-time.Hour)
		app := &sandbox.Application{ID: uuid.NewString(), AppID: appID, DisplayName: name,
			SignInAudience: "AzureADMyOrg", CreatedDateTime: past}
		tn.Apps[app.ID] = app
		sp := &sandbox.ServicePrincipal{ID: uuid.NewString(), AppID: appID, DisplayName: name, AppDisplayName: name,
			AppOwnerOrganizationID: tn.ID, AccountEnabled: true, ServicePrincipalType: "Application",
			ServicePrincipalNames: []string{appID}}
		tn.SPs[sp.ID] = sp
		for _, r := range roles {
			found := false
			for _, ar := range tn.GraphSP.AppRoles {
				if ar.Value == r {
					found = true
					tn.Assignments = append(tn.Assignments, &sandbox.AppRoleAssignment{ID: uuid.NewString(),
						AppRoleID: ar.ID, PrincipalID: sp.ID, PrincipalDisplayName: name, PrincipalType: "ServicePrincipal",
						ResourceID: tn.GraphSP.ID, ResourceDisplayName: "Microsoft Graph", CreatedDateTime: past})
				}
			}
			if !found {
				missing = append(missing, r)
			}
		}
	})
	if err != nil || len(missing) > 0 {
		t.Fatalf("addApp: %v, unknown roles %v", err, missing)
	}
	return appID
}

// wantODataError asserts err is Graph's error envelope with status, code and message.
func wantODataError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not an *odataerrors.ODataError", err, err)
	}
	if oe.ResponseStatusCode != status {
		t.Errorf("status = %d, want %d", oe.ResponseStatusCode, status)
	}
	main := oe.GetErrorEscaped()
	if main == nil {
		t.Fatalf("ODataError without error body: %v", err)
	}
	if got := deref(main.GetCode()); got != code {
		t.Errorf("code = %q, want %q", got, code)
	}
	if got := deref(main.GetMessage()); got != message {
		t.Errorf("message = %q, want %q", got, message)
	}
	if inner := main.GetInnerError(); inner == nil || inner.GetDate() == nil || deref(inner.GetRequestId()) == "" {
		t.Errorf("innerError missing date or request-id: %+v", inner)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// eventually polls cond every 20 ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not true within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lower(s string) string { return strings.ToLower(s) }
