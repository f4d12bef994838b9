package graphops

import (
	"context"
	"net/http"
	"net/url"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// tokenFunc returns a bearer token for Graph.
type tokenFunc func(ctx context.Context) (string, error)

// tokenProvider adapts a tokenFunc to kiota. Its allowed hosts are the cloud's
// Graph host only: kiota sends no Authorization header, silently, to a host it
// does not list (GRAPH-FACTS §8.2), so a custom endpoint must be listed here.
type tokenProvider struct {
	get   tokenFunc
	hosts *authentication.AllowedHostsValidator
}

func (p *tokenProvider) GetAuthorizationToken(ctx context.Context, u *url.URL, _ map[string]interface{}) (string, error) {
	if !p.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	return p.get(ctx)
}

func (p *tokenProvider) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	return p.hosts
}

// graphMiddleware is the kiota pipeline in a fixed order. kiota builds its
// default list by ranging over a map, so the compression handler can land
// outside the retry handler; a POST retried after a 429 then goes out marked
// gzip with an empty body (microsoft/kiota-http-go#183). We leave compression
// and kiota's retry out: retries happen below this pipeline in retryTransport,
// with progress and a deadline.
func graphMiddleware() []khttp.Middleware {
	opts := msgraphsdk.GetDefaultClientOptions()
	return []khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&opts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	}
}

// newGraphClient builds a Graph client for the cloud over httpClient's
// transport (which carries TLS trust and retries).
func newGraphClient(cloud Cloud, httpClient *http.Client, get tokenFunc) (*msgraphsdk.GraphServiceClient, abs.RequestAdapter, error) {
	validator, err := authentication.NewAllowedHostsValidatorErrorCheck([]string{cloud.GraphHost()})
	if err != nil {
		return nil, nil, err
	}
	auth := authentication.NewBaseBearerTokenAuthenticationProvider(&tokenProvider{get: get, hosts: validator})
	kiotaClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(httpClient.Transport, graphMiddleware()...),
		Timeout:   httpClient.Timeout,
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, kiotaClient)
	if err != nil {
		return nil, nil, err
	}
	adapter.SetBaseUrl(cloud.GraphBaseURL()) // before NewGraphServiceClient, which keeps a set base URL
	return msgraphsdk.NewGraphServiceClient(adapter), adapter, nil
}

// The Graph client and adapter types, named for function signatures.
type (
	graphClient    = *msgraphsdk.GraphServiceClient
	requestAdapter = abs.RequestAdapter
)
