package graphops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
)

// ScopeApplicationsRead lets a signed-in admin read app registrations,
// service principals and their grants: what Test Settings needs when it can
// only check an app from the admin's side.
const ScopeApplicationsRead = "Application.Read.All"

// AdminCheckOptions configures Test Settings from the admin's side, for an app
// whose credential is a certificate the vendor holds the private key of: the
// wizard cannot sign in as that app, so it checks what the vendor's sign-in
// depends on instead.
type AdminCheckOptions struct {
	ClientID     string
	Organization string   // for "Granted for <organization>"
	Expect       []string // application permissions that must be granted
	// Thumbprint is the certificate that must be on the app (SHA-1, hex);
	// empty accepts any certificate that is in date.
	Thumbprint string
	// Product and TestButton name the vendor's own test ("Passly", "Verify").
	Product, TestButton string
	Now                 time.Time // time.Now when zero
	// Fresh marks an app made moments ago: while Entra replicates it, reading
	// it by Application (client) ID may answer 404; the check waits for it up
	// to Patience (default 2 minutes).
	Fresh    bool
	Patience time.Duration
}

// Check names of the admin-side Test Settings.
const (
	CheckAppRegistration  = "App registration"
	CheckServicePrincipal = "Service principal"
	CheckCertificate      = "Certificate"
	CheckSignInAsApp      = "Sign in as the app"
)

// CheckFromAdminSide checks an app as the signed-in admin: the registration
// exists, it has an enabled service principal, each wanted Microsoft Graph
// application permission is granted (admin consent), and the certificate is on
// the app and in date. It changes nothing. A failed check is a line in the
// report; the error is for cancellation and for reads Graph refused outright.
func (s *Session) CheckFromAdminSide(ctx context.Context, o AdminCheckOptions) (*TestReport, error) {
	if err := ValidateClientID(o.ClientID); err != nil {
		return nil, err
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	clientID, graphID := o.ClientID, GraphAppID
	read := func() (*batchResult, error) {
		b := newBatch(s.adapter)
		if err := b.add("app", step(s.Graph.ApplicationsWithAppId(&clientID).ToGetRequestInformation(ctx,
			&applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{
					Select: []string{"id", "appId", "displayName", "keyCredentials"}}}))); err != nil {
			return nil, err
		}
		if err := b.add("sp", step(s.Graph.ServicePrincipalsWithAppId(&clientID).ToGetRequestInformation(ctx,
			&serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{
					Select: []string{"id", "appId", "accountEnabled"}}}))); err != nil {
			return nil, err
		}
		if err := b.add("graph", step(s.Graph.ServicePrincipalsWithAppId(&graphID).ToGetRequestInformation(ctx,
			&serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{
					Select: []string{"id", "appId", "appRoles"}}}))); err != nil {
			return nil, err
		}
		return b.send(ctx)
	}
	patience := o.Patience
	if patience == 0 {
		patience = appPatience
	}
	var res *batchResult
	errNotYet := errors.New("the app is not readable yet")
	err := retryUntil(ctx, "Waiting for Entra to replicate the new app", patience, func(err error) bool {
		return o.Fresh && err == errNotYet
	}, func() error {
		var err error
		if res, err = read(); err != nil {
			return err
		}
		if res.status("app") == 404 || res.status("sp") == 404 {
			return errNotYet
		}
		return nil
	})
	// Still 404 when the wait ended (or the app was not fresh): the checks say so.
	stillMissing := err == errNotYet || (KindOf(err) == KindNotReady && errors.Is(err, errNotYet))
	if err != nil && !stillMissing {
		return nil, fromGraph(err, "Reading the app")
	}
	rep := &TestReport{}
	add := func(c Check) { rep.Checks = append(rep.Checks, c) }

	// The app registration and its certificate.
	var app models.Applicationable
	if st := res.status("app"); st == 404 {
		add(Check{Name: CheckAppRegistration, Message: fmt.Sprintf("No app with Application (client) ID %s exists in this tenant.", o.ClientID),
			NextStep: "It may have been deleted, or you signed in to another tenant. Run New setup again."})
	} else if app, err = batchParse[models.Applicationable](res, "app", models.CreateApplicationFromDiscriminatorValue); err != nil {
		e, _ := AsError(fromGraph(err, "Reading the app"))
		add(Check{Name: CheckAppRegistration, Message: e.Message, NextStep: e.NextStep, Code: e.Code})
	} else {
		add(Check{Name: CheckAppRegistration, OK: true, Message: fmt.Sprintf("%q is registered (Application (client) ID %s).", deref(app.GetDisplayName()), o.ClientID)})
	}

	// The service principal, which admin consent and every sign-in need.
	var spID string
	if st := res.status("sp"); st == 404 {
		add(Check{Name: CheckServicePrincipal,
			Message:  "The app has no service principal (enterprise application), so it cannot be granted permissions or sign in.",
			NextStep: "Run New setup again: it creates the missing one."})
	} else if sp, err := batchParse[models.ServicePrincipalable](res, "sp", models.CreateServicePrincipalFromDiscriminatorValue); err != nil {
		e, _ := AsError(fromGraph(err, "Reading the app's service principal"))
		add(Check{Name: CheckServicePrincipal, Message: e.Message, NextStep: e.NextStep, Code: e.Code})
	} else if en := sp.GetAccountEnabled(); en != nil && !*en {
		spID = deref(sp.GetId())
		add(Check{Name: CheckServicePrincipal, Message: "The app's enterprise application is disabled: nobody can sign in as it.",
			NextStep: "Enable it in the Entra admin center (Enterprise applications > Properties > Enabled for users to sign in)."})
	} else {
		spID = deref(sp.GetId())
		add(Check{Name: CheckServicePrincipal, OK: true, Message: "The app's enterprise application exists and is enabled."})
	}

	// Each wanted permission, granted to that service principal.
	if len(o.Expect) > 0 {
		granted, msg := map[string]bool{}, ""
		graphSP, err := batchParse[models.ServicePrincipalable](res, "graph", models.CreateServicePrincipalFromDiscriminatorValue)
		if err != nil {
			msg = "Microsoft Graph's permissions could not be read."
		} else if spID != "" {
			perms := graphPermissions(graphSP)
			got, err := s.Graph.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignments().Get(ctx,
				&serviceprincipals.ItemAppRoleAssignmentsRequestBuilderGetRequestConfiguration{})
			if err != nil {
				if ctx.Err() != nil {
					return nil, fromGraph(err, "Reading the app's permissions")
				}
				e, _ := AsError(fromGraph(err, "Reading the app's permissions"))
				msg = e.Message
			} else {
				for _, a := range got.GetValue() {
					if a.GetResourceId() == nil || a.GetAppRoleId() == nil || !strings.EqualFold(a.GetResourceId().String(), perms.ServicePrincipalID) {
						continue
					}
					if p, ok := perms.RoleByID(a.GetAppRoleId().String()); ok {
						granted[strings.ToLower(p.Value)] = true
					}
				}
			}
		} else {
			msg = "Cannot be granted without a service principal."
		}
		org := o.Organization
		if org == "" {
			org = "your organization"
		}
		for _, want := range o.Expect {
			c := Check{Name: "Permission " + want, Permission: want, OK: granted[strings.ToLower(want)]}
			switch {
			case c.OK:
				c.Message = want + ": Granted for " + org + "."
			case msg != "":
				c.Message = want + ": " + msg
			default:
				c.Message = want + ": Not granted for " + org + "."
				c.NextStep = "Grant admin consent for " + want + " (API permissions), then test again."
			}
			add(c)
		}
	}

	// The certificate the vendor signs in with.
	if app != nil {
		add(certificateCheck(app, o.Thumbprint, now))
	}

	// What only the vendor can do.
	product, button := o.Product, o.TestButton
	if product == "" {
		product = "the product"
	}
	if button == "" {
		button = "Test Settings"
	}
	add(Check{Name: CheckSignInAsApp, OK: true, Warning: true,
		Message:  "Not tested here: the certificate's private key stays with " + product + ", so only " + product + " can sign in as the app.",
		NextStep: "Press " + button + " in " + product + " to finish the test."})

	rep.OK = true
	for _, c := range rep.Checks {
		rep.OK = rep.OK && c.OK
	}
	return rep, nil
}

// certificateCheck finds the certificate on the app (by thumbprint, or any
// one when thumb is empty) and checks its dates.
func certificateCheck(app models.Applicationable, thumb string, now time.Time) Check {
	c := Check{Name: CheckCertificate}
	var found []Credential
	for _, k := range app.GetKeyCredentials() {
		cr := credentialFromKey(k)
		if len(k.GetKey()) > 0 {
			cr.Thumbprint = Thumbprint(k.GetKey()) // the key itself says best which certificate it is
		}
		if thumb == "" || strings.EqualFold(cr.Thumbprint, thumb) {
			found = append(found, cr)
		}
	}
	switch {
	case len(found) == 0 && thumb != "":
		c.Message = "The certificate with thumbprint " + thumb + " is not on the app."
		c.NextStep = "Upload the certificate again (New setup), then test again."
		return c
	case len(found) == 0:
		c.Message = "The app has no certificate."
		c.NextStep = "Upload the vendor's certificate (New setup), then test again."
		return c
	}
	// The latest-ending one that is in date, else the latest-ending one.
	best := found[0]
	for _, f := range found[1:] {
		switch {
		case inDate(f, now) && !inDate(best, now):
			best = f
		case inDate(f, now) == inDate(best, now) && f.End.After(best.End):
			best = f
		}
	}
	switch {
	case now.Before(best.Start):
		c.Message = fmt.Sprintf("Certificate %s is on the app but valid only from %s.", best.Thumbprint, best.Start.Format("2 January 2006 15:04 MST"))
		c.NextStep = "Wait until then, or ask the vendor for a certificate that is valid now."
	case !now.Before(best.End):
		c.Message = fmt.Sprintf("Certificate %s expired on %s.", best.Thumbprint, best.End.Format("2 January 2006"))
		c.NextStep = "Download the current certificate from the vendor and upload it (New setup)."
	default:
		c.OK = true
		c.Message = fmt.Sprintf("Certificate %s is on the app and valid until %s.", best.Thumbprint, best.End.Format("2 January 2006"))
	}
	return c
}

func inDate(c Credential, now time.Time) bool { return !now.Before(c.Start) && now.Before(c.End) }
