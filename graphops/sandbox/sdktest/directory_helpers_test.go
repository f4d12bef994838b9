package sdktest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/google/uuid"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"m365wizard/graphops/sandbox"
)

// Helpers of the directory tests (applications, service principals, consent,
// tenant reads). Their names start with "entra" so they never clash with the
// other test files of this package.

// Delegated scope sets the wizard asks for.
var (
	entraAdminScopes = []string{"User.Read", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Policy.Read.All"}
	entraAppScopes   = []string{"User.Read", "Application.ReadWrite.All"}
)

const entraGraphAppID = "00000003-0000-0000-c000-000000000000"

// Real Microsoft Graph permission ids (GRAPH-FACTS §2.3).
const (
	entraRoleUserReadAll        = "df021288-bdef-4463-88db-98f22de89214"
	entraRoleMailSend           = "b633e1c5-b582-4048-a93e-9f11b44c7e96"
	entraRoleApplicationReadAll = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"
	entraRoleAppRWOwnedBy       = "18a4783c-866b-4cc7-a460-3d5e5662c884"
	entraScopeUserRead          = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
)

func entraCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func entraS(s string) *string { return &s }

func entraUUID(s string) *uuid.UUID {
	u := uuid.MustParse(s)
	return &u
}

func entraStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// entraODataErr asserts err is Graph's envelope with status, code and message
// (the SDK parsed it, so innerError.date is in Graph's zone-less form) and
// returns it for further checks.
func entraODataErr(t *testing.T, err error, status int, code, message string) *odataerrors.ODataError {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not an *odataerrors.ODataError", err, err)
	}
	main := oe.GetErrorEscaped()
	if main == nil {
		t.Fatalf("ODataError without an error body: %v", err)
	}
	if oe.ResponseStatusCode != status || entraStr(main.GetCode()) != code || entraStr(main.GetMessage()) != message {
		t.Fatalf("got %d %q %q\nwant %d %q %q", oe.ResponseStatusCode, entraStr(main.GetCode()), entraStr(main.GetMessage()), status, code, message)
	}
	inner := main.GetInnerError()
	if inner == nil || inner.GetDate() == nil || entraStr(inner.GetRequestId()) == "" || entraStr(inner.GetClientRequestId()) == "" {
		t.Fatalf("innerError lacks date, request-id or client-request-id: %+v", inner)
	}
	return oe
}

// entraNewApp registers an app through the SDK as c's caller.
func entraNewApp(t *testing.T, c *msgraphsdk.GraphServiceClient, name string) models.Applicationable {
	t.Helper()
	body := models.NewApplication()
	body.SetDisplayName(&name)
	app, err := c.Applications().Post(entraCtx(t), body, nil)
	if err != nil {
		t.Fatalf("create app %q: %v", name, err)
	}
	return app
}

// entraNewSP creates the service principal of appID through the SDK.
func entraNewSP(t *testing.T, c *msgraphsdk.GraphServiceClient, appID string) models.ServicePrincipalable {
	t.Helper()
	body := models.NewServicePrincipal()
	body.SetAppId(&appID)
	sp, err := c.ServicePrincipals().Post(entraCtx(t), body, nil)
	if err != nil {
		t.Fatalf("create service principal for %s: %v", appID, err)
	}
	return sp
}

// entraGraphSPID is the tenant's Microsoft Graph service principal object id.
func entraGraphSPID(t *testing.T, s *sandbox.Server) string {
	t.Helper()
	var id string
	if err := s.Tenant("", func(tn *sandbox.Tenant) { id = tn.GraphSP.ID }); err != nil {
		t.Fatal(err)
	}
	return id
}

// entraAssignment builds an appRoleAssignment body.
func entraAssignment(principalID, resourceID, appRoleID string) models.AppRoleAssignmentable {
	a := models.NewAppRoleAssignment()
	a.SetPrincipalId(entraUUID(principalID))
	a.SetResourceId(entraUUID(resourceID))
	a.SetAppRoleId(entraUUID(appRoleID))
	return a
}

// entraPoll retries op every 25 ms until it succeeds or the deadline passes,
// returning the errors seen on the way (no blind sleeps: each attempt is a
// real call).
func entraPoll(t *testing.T, within time.Duration, what string, op func() error) []error {
	t.Helper()
	var seen []error
	deadline := time.Now().Add(within)
	for {
		err := op()
		if err == nil {
			return seen
		}
		seen = append(seen, err)
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, within, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// entraSelfSignedCert makes a certificate as the wizard would for certificate
// credentials.
func entraSelfSignedCert(t *testing.T, cn string, notBefore, notAfter time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// entraSeedApp registers an app with a service principal granted the Microsoft
// Graph application permissions roles an hour ago (sandbox.Server.SeedApp).
func entraSeedApp(t *testing.T, s *sandbox.Server, name string, roles ...string) string {
	t.Helper()
	appID, err := s.SeedApp("", name, roles...)
	if err != nil {
		t.Fatal(err)
	}
	return appID
}
