// Package sdktest drives the sandbox's Graph host through the real
// msgraph-sdk-go request builders, so a green test means the SDK accepts what
// the sandbox sends (shapes, envelopes, paging, retries).
package sdktest

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"testing"
	"time"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"m365wizard/graphops/sandbox"
)

// start runs a sandbox for one test.
func start(t *testing.T) *sandbox.Server {
	t.Helper()
	s, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// staticToken is a kiota AccessTokenProvider handing out one bearer token. Like
// the Azure provider it returns no token for a host outside its allowed hosts
// (kiota then sends no Authorization header; GRAPH-FACTS §8.2), so the hosts
// must include the sandbox's 127.0.0.1.
type staticToken struct {
	token string
	hosts absauth.AllowedHostsValidator
}

func (p *staticToken) GetAuthorizationToken(_ context.Context, u *url.URL, _ map[string]interface{}) (string, error) {
	if !p.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	return p.token, nil
}

func (p *staticToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return &p.hosts }

// middlewares is msgraph-sdk-go-core's default pipeline in a FIXED order and
// without the compression handler: kiota-http-go builds its list from a map, so
// compression can land outside retry and a POST retried after a 429 then goes
// out gzip-marked with an empty body (microsoft/kiota-http-go#183; DESIGN.md).
func middlewares() []khttp.Middleware {
	opts := msgraphsdk.GetDefaultClientOptions()
	return []khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&opts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
		khttp.NewRedirectHandler(),
		khttp.NewRetryHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	}
}

// newClient builds a Graph client for the sandbox that authenticates with token.
func newClient(t *testing.T, s *sandbox.Server, token string) *msgraphsdk.GraphServiceClient {
	t.Helper()
	base := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
	}
	t.Cleanup(base.CloseIdleConnections)
	hc := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(base, middlewares()...),
		Timeout:   60 * time.Second,
		// kiota's own client leaves redirects to the redirect middleware.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(&staticToken{
		token: token,
		hosts: absauth.NewAllowedHostsValidator([]string{"127.0.0.1"}),
	})
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	// Before NewGraphServiceClient, which only sets graph.microsoft.com when empty.
	adapter.SetBaseUrl(s.GraphURL() + "/v1.0")
	return msgraphsdk.NewGraphServiceClient(adapter)
}

// userClient signs upn in (as Microsoft Graph Command Line Tools) with scopes.
func userClient(t *testing.T, s *sandbox.Server, upn string, scopes ...string) *msgraphsdk.GraphServiceClient {
	t.Helper()
	tok, err := s.IssueUserToken(upn, "", scopes...)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, s, tok)
}

// appClient is an app-only client for appID in the primary tenant, carrying the
// Graph roles assigned to its service principal now.
func appClient(t *testing.T, s *sandbox.Server, appID string) *msgraphsdk.GraphServiceClient {
	t.Helper()
	tok, err := s.IssueAppToken("", appID)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, s, tok)
}
